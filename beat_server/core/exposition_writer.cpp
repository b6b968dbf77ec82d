#include "beat_server/core/exposition_writer.hpp"
