#pragma once
// Where a ledger and its spool live, and the names derived from a ledger's path. Pure path
// arithmetic on the environment: the `ccgauge` launcher (cli/launcher_main.cpp), which links no
// SQLite, finds a daemon's status line socket with these.

#include <string>

namespace ccgauge::ledger {

// $XDG_DATA_HOME/ccgauge/ledger.db, else ~/.local/share/ccgauge/ledger.db.
std::string default_ledger_path();

// $XDG_STATE_HOME/ccgauge/spool, else ~/.local/state/ccgauge/spool.
std::string default_spool_dir();

// 16 hex digits of the hash of the ledger's absolute path: the stem of its spool files.
std::string ledger_id(const std::string& ledger_path);

// The spool file of a ledger: `<spool_dir>/<ledger_id>.jsonl`.
std::string spool_file_for(const std::string& spool_dir, const std::string& ledger_path);
// The Unix socket a daemon that claimed this ledger's spool answers status line and hook calls
// on (cli/statusline.h), next to the spool files.
std::string statusline_socket_for(const std::string& spool_dir, const std::string& ledger_path);

}  // namespace ccgauge::ledger
