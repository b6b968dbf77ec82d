// An incremental, bounded HTTP/1.1 request parser over libhttp-parser. Pure.
#pragma once

namespace beat {}  // namespace beat
