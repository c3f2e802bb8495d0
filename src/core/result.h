#pragma once
// Result<T>: the value or the reason it could not be had. Errors that input or the environment can
// cause travel as values; only bugs abort. Wraps tl::expected so that moving to std::expected later
// is a one-line change.

#include <string>
#include <tl/expected.hpp>
#include <utility>

namespace ccgauge {

enum class Errc { kInvalidInput, kNotFound, kIo, kUnavailable, kInternal };

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = Result<void>;

inline tl::unexpected<Error> fail(Errc code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace ccgauge
