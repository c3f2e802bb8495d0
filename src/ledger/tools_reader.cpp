// Tool activity from the hook events in the ledger. A tool call is one tool_use_id (or, from
// Claude Code versions without ids, a PreToolUse matched first-in first-out with the next
// PostToolUse of the same tool in the same session and agent). Its events, in any order (async
// hooks may record a PostToolUse after the Stop that followed it):
//   - PreToolUse: the call started; PostToolUse / PostToolUseFailure: it finished, with the
//     duration Claude Code measured (duration_ms, v2.1.119+) or else the time between the two;
//   - a PostToolUse whose tool_response reports an error, or a PostToolUseFailure: a failure,
//     unless the user interrupted it (is_interrupt): then an interrupt;
//   - PermissionDenied: denied;
//   - a call still unfinished when its session's turn ended (Stop, StopFailure, SessionEnd, or
//     SubagentStop for a subagent's calls), and never finished later: an interrupt.
// Permission prompts: PermissionRequest, counted for its tool; from versions without it, a
// Notification of type permission_prompt, counted for the newest unfinished call.

#include "ledger/tools_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "ledger/events.h"

namespace ccgauge::ledger {
namespace {

using analytics::ToolGrouping;
using analytics::ToolStat;

struct Call {
  std::string tool;
  std::string session;
  std::string project;
  std::string agent_id;
  std::optional<Instant> started;  // its PreToolUse
  std::optional<Instant> ended;    // its PostToolUse or PostToolUseFailure
  std::optional<std::int64_t> reported_duration_ms;
  Instant last{};
  bool finished = false;
  bool turn_ended = false;  // its turn ended while it was unfinished
  bool prompted = false;
  bool failed = false;
  bool interrupted = false;
  bool denied = false;

  // Claude Code's own measure when it sent one, else the time from Pre to Post.
  std::optional<std::int64_t> duration_ms() const {
    if (reported_duration_ms) {
      return reported_duration_ms;
    }
    if (started && ended && *ended >= *started) {
      return (*ended - *started).count();
    }
    return std::nullopt;
  }
};

// The few attributes the report reads.
struct Attributes {
  std::string agent_id;
  std::string notification_type;
  bool interrupted = false;
};

Attributes read_attributes(simdjson::dom::parser& parser, const std::string& json) {
  Attributes a;
  simdjson::dom::element root;
  if (parser.parse(json).get(root) != simdjson::SUCCESS || !root.is_object()) {
    return a;
  }
  std::string_view s;
  if (root["agent_id"].get_string().get(s) == simdjson::SUCCESS) {
    a.agent_id = std::string(s);
  }
  if (root["notification_type"].get_string().get(s) == simdjson::SUCCESS) {
    a.notification_type = std::string(s);
  }
  bool b = false;
  a.interrupted = root["interrupted"].get_bool().get(b) == simdjson::SUCCESS && b;
  return a;
}

bool project_matches(const std::string& project, const std::string& wanted) {
  if (project == wanted) {
    return true;
  }
  auto slash = project.find_last_of('/');
  return slash != std::string::npos && project.substr(slash + 1) == wanted;
}

class CallTracker {
 public:
  void add(const EventRow& e, const Attributes& a) {
    const std::string& name = e.name;
    if (name == "PreToolUse") {
      Call& c = call_for(e, a, /*finishing=*/false);
      c.started = e.instant;
    } else if (name == "PostToolUse" || name == "PostToolUseFailure") {
      Call& c = call_for(e, a, /*finishing=*/true);
      finish(c, e);
      c.ended = e.instant;
      c.reported_duration_ms = e.duration_ms;
      if (a.interrupted) {
        c.interrupted = true;
      } else if (e.success && !*e.success) {
        c.failed = true;
      }
    } else if (name == "PermissionDenied") {
      Call& c = call_for(e, a, /*finishing=*/true);
      finish(c, e);
      c.denied = true;
    } else if (name == "PermissionRequest") {
      sessions_with_requests_.insert(e.session);
      prompt(e, e.tool);
    } else if (name == "Notification" && a.notification_type == "permission_prompt") {
      if (!sessions_with_requests_.contains(e.session)) {
        prompt(e, "");
      }
    } else if (name == "Stop" || name == "StopFailure" || name == "SessionEnd") {
      end_turn(e.session, nullptr);
    } else if (name == "SubagentStop") {
      end_turn(e.session, &a.agent_id);
    }
  }

  const std::vector<Call>& calls() const { return calls_; }
  // Permission prompts that no recorded call could take: (tool, session, project, instant).
  const std::vector<Call>& orphan_prompts() const { return orphan_prompts_; }

 private:
  // The call an event belongs to; a new one when none matches.
  Call& call_for(const EventRow& e, const Attributes& a, bool finishing) {
    if (!e.tool_use_id.empty()) {
      auto [it, inserted] = by_id_.try_emplace(e.session + '\n' + e.tool_use_id, calls_.size());
      if (!inserted) {
        calls_[it->second].last = std::max(calls_[it->second].last, e.instant);
        return calls_[it->second];
      }
    } else if (finishing) {
      // Versions without tool_use_id: the oldest unfinished call of this tool and agent.
      for (std::size_t index : pending_[e.session]) {
        Call& c = calls_[index];
        if (!c.finished && c.tool == e.tool && c.agent_id == a.agent_id && c.started) {
          c.last = std::max(c.last, e.instant);
          return c;
        }
      }
    }
    Call c;
    c.tool = e.tool;
    c.session = e.session;
    c.project = e.project;
    c.agent_id = a.agent_id;
    c.last = e.instant;
    calls_.push_back(std::move(c));
    pending_[e.session].push_back(calls_.size() - 1);
    return calls_.back();
  }

  void finish(Call& c, const EventRow& e) {
    c.finished = true;
    c.last = std::max(c.last, e.instant);
  }

  // Marks the newest unfinished, unprompted call of the session (of `tool`, when named) as
  // prompted; a prompt no call takes is kept on its own.
  void prompt(const EventRow& e, const std::string& tool) {
    auto& pending = pending_[e.session];
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      Call& c = calls_[*it];
      if (!c.finished && !c.prompted && (tool.empty() || c.tool == tool)) {
        c.prompted = true;
        return;
      }
    }
    Call orphan;
    orphan.tool = tool.empty() ? std::string("(unknown)") : tool;
    orphan.session = e.session;
    orphan.project = e.project;
    orphan.last = e.instant;
    orphan_prompts_.push_back(std::move(orphan));
  }

  void end_turn(const std::string& session, const std::string* agent_id) {
    auto it = pending_.find(session);
    if (it == pending_.end()) {
      return;
    }
    for (std::size_t index : it->second) {
      Call& c = calls_[index];
      if (!c.finished && (agent_id == nullptr || c.agent_id == *agent_id)) {
        c.turn_ended = true;
      }
    }
  }

  std::vector<Call> calls_;
  std::unordered_map<std::string, std::size_t> by_id_;
  // Per session, the indexes of its calls in creation order.
  std::unordered_map<std::string, std::vector<std::size_t>> pending_;
  std::set<std::string> sessions_with_requests_;
  std::vector<Call> orphan_prompts_;
};

std::string group_key(const Call& c, ToolGrouping grouping) {
  switch (grouping) {
    case ToolGrouping::kTool:
      return c.tool;
    case ToolGrouping::kSession:
      return c.session;
    case ToolGrouping::kProject:
      return c.project;
  }
  return c.tool;
}

void add_call(ToolStat& s, const Call& c) {
  ++s.calls;
  s.failures += c.failed ? 1 : 0;
  s.denied += c.denied ? 1 : 0;
  s.interrupts += (c.interrupted || (c.turn_ended && !c.finished)) ? 1 : 0;
  s.permission_prompts += c.prompted ? 1 : 0;
  if (auto duration = c.duration_ms()) {
    ++s.timed_calls;
    s.total_duration_ms += *duration;
    s.max_duration_ms = std::max(s.max_duration_ms, *duration);
  }
  if (!s.last_used || c.last > *s.last_used) {
    s.last_used = c.last;
  }
}

ToolStat& stat_for(std::map<std::string, ToolStat>& stats, const Call& c, ToolGrouping grouping) {
  auto [it, inserted] = stats.try_emplace(group_key(c, grouping));
  if (inserted) {
    ToolStat& s = it->second;
    switch (grouping) {
      case ToolGrouping::kTool:
        s.tool = c.tool;
        break;
      case ToolGrouping::kSession:
        s.session = c.session;
        s.project = c.project;
        break;
      case ToolGrouping::kProject:
        s.project = c.project;
        break;
    }
  }
  return it->second;
}

}  // namespace

Result<analytics::ToolsReport> read_tools(const Ledger& ledger, const analytics::ToolsQuery& query) {
  EventQuery q;
  q.from = query.from;
  q.to = query.to;
  q.source = "hook";
  q.session = query.session;
  CallTracker tracker;
  simdjson::dom::parser parser;
  auto status = for_each_event(ledger, q, [&](const EventRow& e) {
    if (query.project && !project_matches(e.project, *query.project)) {
      return;
    }
    tracker.add(e, read_attributes(parser, e.attributes));
  });
  if (!status) {
    return tl::unexpected(status.error());
  }
  std::map<std::string, ToolStat> stats;
  analytics::ToolsReport report;
  report.totals.tool = "total";
  for (const Call& c : tracker.calls()) {
    add_call(stat_for(stats, c, query.grouping), c);
    add_call(report.totals, c);
  }
  for (const Call& prompt : tracker.orphan_prompts()) {
    ToolStat& s = stat_for(stats, prompt, query.grouping);
    ++s.permission_prompts;
    ++report.totals.permission_prompts;
  }
  for (auto& [key, stat] : stats) {
    report.rows.push_back(std::move(stat));
  }
  std::stable_sort(report.rows.begin(), report.rows.end(),
                   [](const ToolStat& a, const ToolStat& b) { return a.calls > b.calls; });
  return report;
}

}  // namespace ccgauge::ledger
