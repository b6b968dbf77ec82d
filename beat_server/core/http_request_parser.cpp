#include "beat_server/core/http_request_parser.hpp"
