// A minimal ordered JSON value for the --json report (writing only).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <type_traits>
#include <variant>
#include <vector>

#include <fmt/format.h>

namespace loft::bench {

class Json {
 public:
  using Object = std::vector<std::pair<std::string, Json>>;
  using Array = std::vector<Json>;

  Json() : v_(nullptr) {}
  Json(std::nullptr_t) : v_(nullptr) {}
  Json(bool b) : v_(b) {}
  template <typename I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
  Json(I i) : v_(static_cast<int64_t>(i)) {}
  Json(double d) : v_(d) {}
  Json(const char* s) : v_(std::string(s)) {}
  Json(std::string s) : v_(std::move(s)) {}
  static Json MakeObject() {
    Json j;
    j.v_ = std::make_shared<Object>();
    return j;
  }
  static Json MakeArray() {
    Json j;
    j.v_ = std::make_shared<Array>();
    return j;
  }

  // Object: sets (replacing) a key; returns the stored value.
  Json& Set(const std::string& key, Json value) {
    auto& o = *std::get<std::shared_ptr<Object>>(v_);
    for (auto& [k, v] : o)
      if (k == key) return v = std::move(value);
    o.emplace_back(key, std::move(value));
    return o.back().second;
  }
  Json& operator[](const std::string& key) {
    auto& o = *std::get<std::shared_ptr<Object>>(v_);
    for (auto& [k, v] : o)
      if (k == key) return v;
    o.emplace_back(key, MakeObject());
    return o.back().second;
  }
  void Push(Json value) { std::get<std::shared_ptr<Array>>(v_)->push_back(std::move(value)); }

  std::string Dump(int indent = 0) const {
    std::string out;
    DumpTo(out, indent);
    return out;
  }

  static std::string Escape(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
          else out += static_cast<char>(c);  // UTF-8 passes through; invalid bytes are the caller's care
      }
    }
    return out + "\"";
  }

 private:
  void DumpTo(std::string& out, int indent) const {
    std::string pad(indent + 2, ' ');
    std::string endpad(indent, ' ');
    if (std::holds_alternative<std::nullptr_t>(v_)) out += "null";
    else if (auto* b = std::get_if<bool>(&v_)) out += *b ? "true" : "false";
    else if (auto* i = std::get_if<int64_t>(&v_)) out += std::to_string(*i);
    else if (auto* d = std::get_if<double>(&v_)) out += std::isfinite(*d) ? fmt::format("{:.6g}", *d) : "null";
    else if (auto* s = std::get_if<std::string>(&v_)) out += Escape(*s);
    else if (auto* o = std::get_if<std::shared_ptr<Object>>(&v_)) {
      if ((*o)->empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      bool first = true;
      for (auto& [k, v] : **o) {
        if (!first) out += ",\n";
        first = false;
        out += pad + Escape(k) + ": ";
        v.DumpTo(out, indent + 2);
      }
      out += "\n" + endpad + "}";
    } else if (auto* a = std::get_if<std::shared_ptr<Array>>(&v_)) {
      if ((*a)->empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      bool first = true;
      for (auto& v : **a) {
        if (!first) out += ",\n";
        first = false;
        out += pad;
        v.DumpTo(out, indent + 2);
      }
      out += "\n" + endpad + "]";
    }
  }

  std::variant<std::nullptr_t, bool, int64_t, double, std::string, std::shared_ptr<Object>, std::shared_ptr<Array>> v_;
};

}  // namespace loft::bench
