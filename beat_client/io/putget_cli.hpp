// The put and get subcommands of beat_client: one request to a beat server's put/get port.
#pragma once

namespace beat {

// Runs "put KEY VALUE [TIMESTAMP]" or "get KEY" as named by argv[0], with --server HOST:PORT
// (default 127.0.0.1:8888) and --timeout SECONDS (default 5). get prints one "key value
// timestamp" line per point to stdout. Returns 0 on success, 1 when the server or the network
// fails (the reason goes to stderr), 2 on bad usage.
int putget_main(int argc, char** argv);

}  // namespace beat
