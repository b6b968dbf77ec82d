#include "common/uv/uv_error.hpp"

#include <uv.h>

namespace beat {

std::string uv_message(int rc) {
    return uv_strerror(rc);
}

int uv_check(int rc, std::string_view what) {
    if (rc < 0) throw UvError(std::string(what) + ": " + uv_strerror(rc));
    return rc;
}

}  // namespace beat
