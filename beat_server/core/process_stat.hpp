// Parses /proc/self/stat for the process collector's figures. Pure.
#pragma once

namespace beat {}  // namespace beat
