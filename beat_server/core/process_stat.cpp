#include "beat_server/core/process_stat.hpp"
