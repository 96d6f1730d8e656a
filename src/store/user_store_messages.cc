// MaildirUserStore: appending, flags, expunging and copying messages.
//
// Order of work for every change: files first (written, fsync'ed, in
// cur/), then the index commit that makes them visible, then unlinks of
// files the commit made invisible, then the announcement. A crash at any
// point leaves at worst an invisible orphan file, removed on a later open.
#include <sys/stat.h>

#include <algorithm>
#include <climits>
#include <ctime>

#include "store/mailbox_names.h"
#include "store/maildir_files.h"
#include "store/message_tree.h"
#include "store/user_store.h"

namespace loft::store::internal {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kAllFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Keywords compare case-insensitively (as the index's COLLATE NOCASE).
bool has_keyword(const std::vector<std::string>& set, std::string_view k) {
  std::string lk = ascii_lower(k);
  return std::any_of(set.begin(), set.end(), [&](const std::string& x) { return ascii_lower(x) == lk; });
}

std::vector<std::string> unique_keywords(std::span<const std::string> keywords) {
  std::vector<std::string> out;
  for (const std::string& k : keywords) {
    check_keyword(k);
    if (!has_keyword(out, k)) out.push_back(k);
  }
  return out;
}

std::vector<uint32_t> sorted_unique(std::span<const uint32_t> uids) {
  std::vector<uint32_t> out(uids.begin(), uids.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

uint32_t take_uid(uint32_t uidnext) {
  if (uidnext == 0 || uidnext == UINT32_MAX) {
    throw StoreError(ErrorCode::kNotPermitted, "mailbox has used up its UIDs");
  }
  return uidnext;
}

}  // namespace

uint32_t MaildirUserStore::append(std::string_view mailbox, const NewMessage& msg) {
  const std::string name = canonical_mailbox_name(mailbox);
  const std::vector<std::string> keywords = unique_keywords(msg.keywords);
  const uint64_t size = normalized_size(msg.pieces);
  if (size > opts_.max_message_size) throw StoreError(ErrorCode::kTooLarge, "message too large");

  MailboxRow row;
  {
    std::lock_guard lock(mu_);
    row = require_mailbox(name);
  }
  const fs::path dir = mailbox_path(row);

  // The file is written without the lock: big messages don't stall readers.
  std::string file;
  {
    MessageWriter writer(dir, opts_.fsync);
    for (std::string_view piece : msg.pieces) writer.write(piece);
    file = writer.finish();
  }
  // Parsed without the lock too: from the caller's bytes when they are
  // stored unchanged, else from the file just written (still in the page
  // cache), which spares a normalised copy of the whole message in memory.
  // The tree is only a cache: if it cannot be made now, it is made when
  // first asked for.
  std::string tree;
  try {
    if (msg.pieces.size() == 1 && msg.pieces[0].size() == size) {
      tree = tree_of(msg.pieces[0]);
    } else {
      tree = tree_of_file(dir / "cur" / file);
    }
  } catch (const StoreError&) {
    tree.clear();
  } catch (...) {
    unlink_quiet(dir / "cur" / file);
    throw;
  }

  uint32_t uid = 0;
  std::string announced;
  try {
    std::lock_guard lock(mu_);
    Transaction tx(*db_, Transaction::kWrite);
    // By id: a rename in the meantime still receives the message.
    auto current = db_->mailbox_by_id(row.id);
    if (!current) throw StoreError(ErrorCode::kNotFound, "mailbox was deleted");
    uid = take_uid(current->uidnext);
    MessageInfo info;
    info.uid = uid;
    info.size = size;
    info.internal_date = msg.internal_date.value_or(static_cast<int64_t>(std::time(nullptr)));
    info.internal_tz = msg.internal_tz;
    info.flags = msg.flags & kAllFlags;
    info.modseq = current->highest_modseq + 1;
    int64_t id = db_->insert_message(row.id, info, file);
    db_->add_keywords(id, keywords);
    if (!tree.empty()) db_->put_tree(id, tree);
    db_->set_counters(row.id, uid + 1, info.modseq);
    announced = current->name;
    tx.commit();  // nothing that can throw may follow inside this try
  } catch (...) {
    unlink_quiet(dir / "cur" / file);  // never visible: no index row
    throw;
  }
  announce({announced});
  return uid;
}

std::vector<MessageInfo> MaildirUserStore::store_flags(std::string_view mailbox,
                                                       std::span<const uint32_t> uids, int mode,
                                                       uint32_t flags,
                                                       std::span<const std::string> keywords) {
  const std::string name = canonical_mailbox_name(mailbox);
  const std::vector<std::string> kws = unique_keywords(keywords);
  flags &= kAllFlags;
  std::vector<MessageInfo> out;
  bool changed_any = false;
  {
    std::lock_guard lock(mu_);
    Transaction tx(*db_, Transaction::kWrite);
    MailboxRow row = require_mailbox(name);
    // One MODSEQ for the whole operation; unchanged messages keep theirs.
    const uint64_t modseq = row.highest_modseq + 1;
    for (uint32_t uid : sorted_unique(uids)) {
      auto msg = db_->message(row.id, uid);
      if (!msg) continue;
      MessageInfo& info = msg->info;
      uint32_t new_flags = mode > 0 ? (info.flags | flags) : mode < 0 ? (info.flags & ~flags) : flags;
      std::vector<std::string> new_kws;
      if (mode > 0) {
        new_kws = info.keywords;
        for (const std::string& k : kws) {
          if (!has_keyword(new_kws, k)) new_kws.push_back(k);
        }
      } else if (mode < 0) {
        for (const std::string& k : info.keywords) {
          if (!has_keyword(kws, k)) new_kws.push_back(k);
        }
      } else {
        new_kws = kws;
      }
      bool same_kws = new_kws.size() == info.keywords.size() &&
                      std::all_of(new_kws.begin(), new_kws.end(),
                                  [&](const std::string& k) { return has_keyword(info.keywords, k); });
      if (new_flags != info.flags || !same_kws) {
        db_->set_flags(msg->id, new_flags, modseq);
        db_->clear_keywords(msg->id);
        db_->add_keywords(msg->id, new_kws);
        info.flags = new_flags;
        info.keywords = std::move(new_kws);
        std::sort(info.keywords.begin(), info.keywords.end(),
                  [](const std::string& a, const std::string& b) { return ascii_lower(a) < ascii_lower(b); });
        info.modseq = modseq;
        changed_any = true;
      }
      out.push_back(std::move(info));
    }
    if (changed_any) {
      db_->set_counters(row.id, row.uidnext, modseq);
      tx.commit();
    }
  }
  if (changed_any) announce({name});
  return out;
}

std::vector<uint32_t> MaildirUserStore::expunge(std::string_view mailbox, std::span<const uint32_t> uids) {
  const std::string name = canonical_mailbox_name(mailbox);
  std::vector<uint32_t> removed;
  {
    std::lock_guard lock(mu_);
    std::vector<fs::path> files;
    {
      Transaction tx(*db_, Transaction::kWrite);
      MailboxRow row = require_mailbox(name);
      const fs::path dir = mailbox_path(row);
      const uint64_t modseq = row.highest_modseq + 1;
      for (uint32_t uid : sorted_unique(uids)) {
        auto msg = db_->message(row.id, uid);
        if (!msg) continue;
        db_->delete_message(msg->id);
        db_->insert_tombstone(row.id, uid, modseq);
        removed.push_back(uid);
        files.push_back(cur_path(dir, msg->file));
      }
      if (removed.empty()) return removed;
      db_->set_counters(row.id, row.uidnext, modseq);
      tx.commit();
    }
    for (const fs::path& f : files) unlink_quiet(f);
  }
  announce({name});
  return removed;
}

std::vector<uint32_t> MaildirUserStore::copy(std::string_view from, std::span<const uint32_t> uids,
                                             std::string_view to) {
  const std::string src_name = canonical_mailbox_name(from);
  const std::string dst_name = canonical_mailbox_name(to);
  std::vector<uint32_t> new_uids;
  if (uids.empty()) return new_uids;
  {
    std::lock_guard lock(mu_);
    std::vector<fs::path> created;
    try {
      Transaction tx(*db_, Transaction::kWrite);
      MailboxRow src = require_mailbox(src_name);
      MailboxRow dst = require_mailbox(dst_name);
      const fs::path src_dir = mailbox_path(src);
      const fs::path dst_dir = mailbox_path(dst);
      std::vector<MessageRow> rows;
      for (uint32_t uid : uids) {
        auto msg = db_->message(src.id, uid);
        if (!msg) throw StoreError(ErrorCode::kNotFound, "no such message: UID " + std::to_string(uid));
        rows.push_back(std::move(*msg));
      }
      const uint64_t modseq = dst.highest_modseq + 1;
      uint32_t uidnext = dst.uidnext;
      struct Insert {
        MessageInfo info;
        std::string file;
        int64_t source_id;
      };
      std::vector<Insert> inserts;
      for (const MessageRow& m : rows) {
        std::string file = cur_file_name(new_unique_name(), m.info.size);
        fs::path target = dst_dir / "cur" / file;
        link_or_copy(cur_path(src_dir, m.file), target, opts_.fsync);
        created.push_back(target);
        MessageInfo info = m.info;
        info.uid = take_uid(uidnext++);
        info.modseq = modseq;
        inserts.push_back(Insert{std::move(info), std::move(file), m.id});
      }
      if (opts_.fsync) fsync_dir(dst_dir / "cur");
      for (const Insert& ins : inserts) {
        int64_t id = db_->insert_message(dst.id, ins.info, ins.file);
        db_->add_keywords(id, ins.info.keywords);
        db_->copy_tree(ins.source_id, id);  // same bytes, same tree
        new_uids.push_back(ins.info.uid);
      }
      db_->set_counters(dst.id, uidnext, modseq);
      tx.commit();
    } catch (...) {
      for (const fs::path& p : created) unlink_quiet(p);  // all or nothing
      throw;
    }
  }
  announce({dst_name});
  return new_uids;
}

}  // namespace loft::store::internal
