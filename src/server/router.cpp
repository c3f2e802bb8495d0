#include "server/router.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>

#include "core/json_writer.h"
#include "server/http_util.h"

namespace ccgauge::server {
namespace {

[[noreturn]] void bad_route(std::string_view method, std::string_view pattern,
                            std::string_view why) {
  std::fprintf(stderr, "ccgauge: bad route %.*s %.*s: %.*s\n", static_cast<int>(method.size()),
               method.data(), static_cast<int>(pattern.size()), pattern.data(),
               static_cast<int>(why.size()), why.data());
  std::abort();
}

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. The path starts with '/'.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  std::string_view rest = path.substr(1);
  for (;;) {
    std::size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
  }
  return segments;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Specificity of each segment kind: higher wins.
constexpr int kLiteralScore = 2;
constexpr int kParamScore = 1;
constexpr int kRestScore = 0;

}  // namespace

std::string Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

Response json_error(int status, std::string_view message) {
  JsonWriter w(JsonWriter::Style::kCompact);
  w.begin_object().key("error").begin_object();
  w.key("status").value(status).key("message").value(message);
  w.end_object().end_object();
  Response response;
  response.status = status;
  response.body = w.take();
  return response;
}

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') bad_route(method, pattern, "must start with '/'");
  if (method.empty()) bad_route(method, pattern, "empty method");
  Route route{method, std::string(pattern), {}, std::move(handler)};
  std::set<std::string> names;
  std::vector<std::string_view> raw = split_path(pattern);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    std::string_view text = raw[i];
    bool opens = text.find('{') != std::string_view::npos;
    bool closes = text.find('}') != std::string_view::npos;
    if (!opens && !closes) {
      route.segments.push_back({Segment::Kind::kLiteral, std::string(text)});
      continue;
    }
    if (text.size() < 3 || text.front() != '{' || text.back() != '}') {
      bad_route(method, pattern, "a parameter must be a whole segment: {name}");
    }
    std::string_view name = text.substr(1, text.size() - 2);
    Segment::Kind kind = Segment::Kind::kParam;
    if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
      if (i + 1 != raw.size()) bad_route(method, pattern, "{name...} must be the last segment");
      name.remove_suffix(3);
      kind = Segment::Kind::kRest;
    }
    if (name.empty() || name.find_first_of("{}./") != std::string_view::npos) {
      bad_route(method, pattern, "bad parameter name");
    }
    if (!names.insert(std::string(name)).second) {
      bad_route(method, pattern, "parameter name used twice");
    }
    route.segments.push_back({kind, std::string(name)});
  }
  for (const Route& existing : routes_) {
    if (existing.method == route.method && existing.pattern == route.pattern) {
      bad_route(method, pattern, "added twice");
    }
  }
  routes_.push_back(std::move(route));
}

bool Router::match_route(const Route& route, const std::vector<std::string_view>& segments,
                         std::map<std::string, std::string>* params, std::string* error,
                         std::vector<int>* score) {
  params->clear();
  score->clear();
  std::size_t seg_idx = 0;
  for (const Segment& want : route.segments) {
    if (seg_idx >= segments.size()) return false;
    std::string_view got = segments[seg_idx];
    switch (want.kind) {
      case Segment::Kind::kLiteral:
        if (got != want.text) return false;
        score->push_back(kLiteralScore);
        ++seg_idx;
        break;
      case Segment::Kind::kParam: {
        if (got.empty()) return false;
        auto decoded = percent_decode(got);
        if (!decoded) {
          *error = "malformed percent-encoding in path segment '" + std::string(got) + "'";
          return false;
        }
        (*params)[want.text] = std::move(*decoded);
        score->push_back(kParamScore);
        ++seg_idx;
        break;
      }
      case Segment::Kind::kRest: {
        // The remaining raw segments, rejoined, decoded as one value.
        std::string rest;
        for (std::size_t i = seg_idx; i < segments.size(); ++i) {
          if (i > seg_idx) rest += '/';
          rest += segments[i];
        }
        auto decoded = percent_decode(rest);
        if (!decoded) {
          *error = "malformed percent-encoding in path '" + rest + "'";
          return false;
        }
        (*params)[want.text] = std::move(*decoded);
        score->push_back(kRestScore);
        seg_idx = segments.size();
        break;
      }
    }
  }
  return seg_idx == segments.size();
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  if (path.empty() || path.front() != '/') return result;
  std::vector<std::string_view> segments = split_path(path);
  std::set<std::string> allowed;
  std::vector<int> best_score;
  std::map<std::string, std::string> params;
  std::vector<int> score;
  std::string error;
  // HEAD is served by the GET route unless a HEAD route exists.
  const Route* head_fallback = nullptr;
  std::map<std::string, std::string> head_params;
  std::vector<int> head_score;
  for (const Route& route : routes_) {
    if (!match_route(route, segments, &params, &error, &score)) continue;
    allowed.insert(route.method);
    if (route.method == "GET") allowed.insert("HEAD");
    if (route.method == method) {
      if (result.kind != Match::Kind::kFound || score > best_score) {
        result.kind = Match::Kind::kFound;
        result.handler = &route.handler;
        result.path_params = params;
        best_score = score;
      }
    } else if (method == "HEAD" && route.method == "GET" &&
               (head_fallback == nullptr || score > head_score)) {
      head_fallback = &route;
      head_params = params;
      head_score = score;
    }
  }
  if (result.kind == Match::Kind::kFound) return result;
  if (head_fallback != nullptr) {
    result.kind = Match::Kind::kFound;
    result.handler = &head_fallback->handler;
    result.path_params = std::move(head_params);
    return result;
  }
  if (!allowed.empty()) {
    result.kind = Match::Kind::kMethodNotAllowed;
    result.allowed.assign(allowed.begin(), allowed.end());
    return result;
  }
  result.error = std::move(error);
  return result;
}

Response Router::dispatch(Request& request,
                          const std::function<void(std::string_view)>& on_exception) const {
  Match m = match(request.method, request.path);
  switch (m.kind) {
    case Match::Kind::kNotFound:
      if (!m.error.empty()) return json_error(400, m.error);
      return json_error(404, "no route for " + request.method + " " + request.path);
    case Match::Kind::kMethodNotAllowed: {
      std::string allow;
      for (const std::string& method : m.allowed) {
        if (!allow.empty()) allow += ", ";
        allow += method;
      }
      Response response = json_error(405, "method " + request.method + " not allowed for " +
                                              request.path + " (allowed: " + allow + ")");
      response.headers.emplace_back("Allow", allow);
      return response;
    }
    case Match::Kind::kFound:
      break;
  }
  request.path_params = std::move(m.path_params);
  std::string what;
  try {
    return (*m.handler)(request);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  if (on_exception) {
    on_exception(request.method + " " + request.path + ": handler threw: " + what);
  }
  return json_error(500, "internal error: " + what);
}

}  // namespace ccgauge::server
