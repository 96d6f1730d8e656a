#include "imap/search_response.h"

#include <algorithm>

namespace loft::imap {

SearchAnswer BuildSearchAnswer(std::span<const SearchHit> hits, const SearchAnswerOptions& o) {
  SearchAnswer answer;
  auto id = [&](const SearchHit& h) { return o.uid ? h.uid : h.seq; };

  if (!o.result && !o.esearch) {
    std::string line = "* SEARCH";
    uint64_t modseq = 0;
    for (const SearchHit& h : hits) {
      line += ' ';
      line += std::to_string(id(h));
      modseq = std::max(modseq, h.modseq);
    }
    if (o.modseq && modseq != 0) line += " (MODSEQ " + std::to_string(modseq) + ")";
    answer.untagged = line + "\r\n";
    return answer;
  }

  SearchReturn r;
  if (o.result) {
    r = *o.result;
  } else {
    r.all = true;
  }
  // Only MIN and/or MAX (besides SAVE): the rest of the matches do not matter.
  const bool minmax = (r.min || r.max) && !r.all && !r.count;
  std::vector<const SearchHit*> chosen;
  if (!hits.empty()) {
    if (minmax) {
      if (r.min) chosen.push_back(&hits.front());
      if (r.max && (!r.min || hits.size() > 1)) chosen.push_back(&hits.back());
    } else {
      for (const SearchHit& h : hits) chosen.push_back(&h);
    }
  }
  uint64_t modseq = 0;
  if (o.modseq)
    for (const SearchHit* h : chosen) modseq = std::max(modseq, h->modseq);
  if (r.save) {
    std::vector<uint32_t> uids;
    uids.reserve(chosen.size());
    for (const SearchHit* h : chosen) uids.push_back(h->uid);
    answer.save = RangeList::FromNumbers(std::move(uids));
  }
  if (r.save && !r.min && !r.max && !r.all && !r.count && !o.modseq) return answer;

  std::string line = "* ESEARCH (TAG \"";
  for (char c : o.tag) {
    if (c == '"' || c == '\\') line += '\\';
    line += c;
  }
  line += "\")";
  if (o.uid) line += " UID";
  if (!hits.empty()) {
    if (r.min) line += " MIN " + std::to_string(id(hits.front()));
    if (r.max) line += " MAX " + std::to_string(id(hits.back()));
    if (r.all) {
      std::vector<uint32_t> ids;
      ids.reserve(hits.size());
      for (const SearchHit& h : hits) ids.push_back(id(h));
      line += " ALL " + RangeList::FromNumbers(std::move(ids)).ToString();
    }
  }
  if (r.count) line += " COUNT " + std::to_string(hits.size());
  if (modseq != 0) line += " MODSEQ " + std::to_string(modseq);
  answer.untagged = line + "\r\n";
  return answer;
}

}  // namespace loft::imap
