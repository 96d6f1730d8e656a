#include "messages.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

namespace loft::bench {

std::string ToCrlf(const std::string& in) {
  std::string out;
  out.reserve(in.size() + in.size() / 40);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) out += '\r';
    out += in[i];
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  return out;
}

std::string DotStuff(const std::string& m) {
  std::string out;
  out.reserve(m.size() + 64);
  bool bol = true;
  for (char c : m) {
    if (bol && c == '.') out += '.';
    out += c;
    bol = (c == '\n');
  }
  out += ".\r\n";
  return out;
}

void MessagePool::Add(std::string m) {
  stuffed_.push_back(DotStuff(m));
  messages_.push_back(std::move(m));
}

bool MessagePool::Load(const std::string& dir, std::string& error) {
  namespace fs = std::filesystem;
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) {
    error = fmt::format("cannot read {}: {}", dir, ec.message());
    return false;
  }
  std::sort(files.begin(), files.end());
  size_t skipped = 0;
  for (auto& p : files) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string m = ss.str();
    // NUL bytes cannot travel in an IMAP literal (RFC 3501); such
    // messages would make APPEND fail for reasons unrelated to the server.
    if (m.empty() || m.find('\0') != std::string::npos) {
      ++skipped;
      continue;
    }
    Add(ToCrlf(m));
  }
  if (messages_.empty()) {
    error = fmt::format("no usable messages under {}", dir);
    return false;
  }
  return true;
}

void MessagePool::Generate(int n, uint64_t seed) {
  static const char* kFirst[] = {"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
                                 "William", "Elizabeth", "David", "Barbara", "Richard", "Susan"};
  static const char* kLast[] = {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis"};
  static const char* kWords[] = {"report", "meeting", "quarterly", "budget", "review", "lunch", "project",
                                 "deadline", "update", "invoice", "travel", "plan", "draft", "release",
                                 "server", "bench", "notes", "summary", "question", "proposal"};
  std::mt19937_64 rng(seed);
  auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  for (int i = 0; i < n; ++i) {
    std::string first = pick(kFirst), last = pick(kLast);
    std::string subject = fmt::format("{} {} {} #{}", pick(kWords), pick(kWords), pick(kWords), i);
    int day = 1 + static_cast<int>(rng() % 28);
    std::string body;
    size_t target = 1000 + rng() % 9000;
    while (body.size() < target) {
      std::string line;
      while (line.size() < 70) line += std::string(pick(kWords)) + " ";
      body += line + "\r\n";
      if (rng() % 9 == 0) body += "\r\n";
    }
    std::string m = fmt::format(
        "From: {0} {1} <{2}.{3}@example.com>\r\n"
        "To: Bench User <bench@example.org>\r\n"
        "Subject: {4}\r\n"
        "Date: {5:02d} Mar 2024 10:{6:02d}:00 +0000\r\n"
        "Message-ID: <gen-{7}-{8}@bench.example>\r\n"
        "MIME-Version: 1.0\r\n",
        first, last, first, last, subject, day, i % 60, seed, i);
    if (i % 3 == 0) {
      std::string b = fmt::format("bench-boundary-{}", i);
      m += fmt::format("Content-Type: multipart/mixed; boundary=\"{}\"\r\n\r\n", b);
      m += "This is a multi-part message in MIME format.\r\n";
      m += fmt::format("--{}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}", b, body);
      m += fmt::format("--{}\r\nContent-Type: text/csv; name=\"data.csv\"\r\n"
                       "Content-Disposition: attachment; filename=\"data.csv\"\r\n\r\na,b,c\r\n1,2,{}\r\n",
                       b, i);
      m += fmt::format("--{}--\r\n", b);
    } else {
      m += "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body;
    }
    Add(std::move(m));
  }
}

}  // namespace loft::bench
