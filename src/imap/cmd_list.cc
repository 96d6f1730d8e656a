// LIST and LSUB (RFC 3501 6.3.8-9) with the LIST-EXTENDED selection and
// return options the parser knows (RFC 5258; SPECIAL-USE of RFC 6154).
// A parent that does not exist but has matching children is listed as
// \Noselect (RFC 3501) / \NonExistent (RFC 5258). Subscriptions are names
// that may have no mailbox (RFC 3501 6.3.6): LSUB and LIST (SUBSCRIBED) show
// them (as Dovecot: "()" and "(\Subscribed \NonExistent)"), other LISTs do not.
#include <algorithm>
#include <map>

#include "imap/list_args.h"
#include "imap/mailbox_name.h"
#include "imap/mailbox_pattern.h"
#include "imap/response_writer.h"
#include "imap/session.h"
#include "imap/status_items.h"
#include "imap/status_response.h"

namespace loft::imap {
namespace {

struct Entry {
  bool exists = false;
  bool subscribed = false;
  bool has_children = false;          // some existing mailbox is below it
  bool has_subscribed_child = false;  // some mailbox below it is subscribed
  std::string special_use;
};

bool InboxFirst(const std::string& a, const std::string& b) {
  bool ia = a == "INBOX", ib = b == "INBOX";
  if (ia != ib) return ia;
  return a < b;
}

struct Listing {
  std::vector<store::MailboxInfo> mailboxes;
  std::vector<std::string> subscriptions;  // with or without a mailbox
  // LIST-STATUS: the status of every existing mailbox, by name (read in the
  // same worker call so that the loop never waits on the index).
  std::map<std::string, store::MailboxStatus> status;
};

}  // namespace

void ImapSession::cmd_list(const Command& cmd) {
  const bool lsub = cmd.name == "LSUB";
  Parsed<ListArgs> parsed = lsub ? ParseLsubArgs(cmd.args, utf8_mode()) : ParseListArgs(cmd.args, utf8_mode());
  if (!parsed) return arg_error(cmd, parsed.error());
  ListArgs args = std::move(parsed.value());
  const std::string_view kind = lsub ? "LSUB" : "LIST";
  if (args.delimiter_query) {
    untagged(std::string(kind) + " (\\Noselect) \"/\" \"\"");
    return finish(cmd, lsub ? "OK Lsub completed." : "OK List completed.");
  }
  if (args.return_status && (*args.return_status & kStatusHighestModSeq)) enable_condstore();
  std::shared_ptr<store::UserStore> mail = mail_;
  const bool want_status = args.return_status.has_value();
  std::vector<std::string> patterns;
  for (const std::string& p : args.patterns) patterns.push_back(CombineReference(args.reference, p, '/'));
  auto pattern = std::make_shared<MailboxPattern>(std::move(patterns), '/');
  blocking<Listing>(
      [mail, want_status, pattern] {
        Listing l;
        l.mailboxes = mail->list_mailboxes();
        l.subscriptions = mail->list_subscriptions();
        if (want_status) {
          for (const store::MailboxInfo& m : l.mailboxes) {
            if (!pattern->matches(m.name)) continue;
            try {
              l.status[m.name] = mail->status(m.name);
            } catch (const store::StoreError&) {
              // Deleted meanwhile: listed without a STATUS.
            }
          }
        }
        return l;
      },
      [this, lsub, kind, args = std::move(args), pattern](Outcome<Listing>& o) {
        if (!o.value) return finish(*current_, store_failure(o.store_error, o.code, o.error, "", kind));
        // Every mailbox and every parent level of one.
        std::map<std::string, Entry, decltype(&InboxFirst)> all(&InboxFirst);
        for (const store::MailboxInfo& m : o.value->mailboxes) {
          Entry& e = all[m.name];
          e.exists = true;
          e.special_use = m.special_use;
          for (size_t sep = m.name.find('/'); sep != std::string::npos; sep = m.name.find('/', sep + 1)) {
            if (sep == 0) continue;
            all[m.name.substr(0, sep)].has_children = true;
          }
        }
        for (const std::string& name : o.value->subscriptions) {
          all[name].subscribed = true;
          for (size_t sep = name.find('/'); sep != std::string::npos; sep = name.find('/', sep + 1)) {
            if (sep == 0) continue;
            all[name.substr(0, sep)].has_subscribed_child = true;
          }
        }
        // LSUB "%": a parent that is not subscribed itself but has
        // subscribed children is listed as \Noselect (RFC 3501 6.3.9;
        // Dovecot does it when the pattern ends in '%').
        bool lsub_parents = false;
        for (const std::string& p : args.patterns)
          if (!p.empty() && p.back() == '%') lsub_parents = true;
        // Dovecot: plain LIST always shows the children and special-use
        // attributes; LIST-EXTENDED only what RETURN asks for.
        const bool show_children = !args.extended || args.return_children;
        const bool show_special_use = !args.extended || args.return_special_use || args.select_special_use;
        const bool only_subscribed = lsub || args.select_subscribed;
        std::string out;
        for (const auto& [name, e] : all) {
          if (!pattern->matches(name)) continue;
          // RECURSIVEMATCH (RFC 5258 3.5): an unsubscribed mailbox whose
          // children are subscribed is listed, with CHILDINFO saying so.
          const bool childinfo = !lsub && args.select_subscribed && args.select_recursive_match &&
                                 e.has_subscribed_child;
          if (only_subscribed && !e.subscribed && !childinfo && !(lsub && lsub_parents && e.has_subscribed_child))
            continue;
          // Names known only from subscriptions are not in the mailbox tree.
          if (!only_subscribed && !e.exists && !e.has_children) continue;
          std::vector<std::string> attrs;
          if (lsub) {
            // A subscribed name is listed plainly even without a mailbox
            // (Dovecot); only an unsubscribed parent is \Noselect.
            if (!e.subscribed) attrs.push_back("\\Noselect");
          } else {
            // Dovecot's order (cmd-list.c mailbox_flags2str).
            if ((args.return_subscribed || args.select_subscribed) && e.subscribed) attrs.push_back("\\Subscribed");
            if (!e.exists) attrs.push_back(args.extended ? "\\NonExistent" : "\\Noselect");
            if (show_children) attrs.push_back(e.has_children ? "\\HasChildren" : "\\HasNoChildren");
            if (show_special_use && !e.special_use.empty()) attrs.push_back(e.special_use);
          }
          if (args.select_special_use && e.special_use.empty()) continue;
          out += "* ";
          out += kind;
          out += " (";
          for (size_t i = 0; i < attrs.size(); ++i) out += (i ? " " : "") + attrs[i];
          out += ") \"/\" ";
          AppendMailboxName(out, name, utf8_mode());
          if (childinfo) out += " (CHILDINFO (\"SUBSCRIBED\"))";  // Dovecot's form of RFC 5258's example
          out += "\r\n";
          if (args.return_status && e.exists) {
            auto st = o.value->status.find(name);
            if (st != o.value->status.end())
              out += StatusResponse(name, *args.return_status, st->second, utf8_mode(), options_.append_limit);
          }
        }
        send(out);
        finish(*current_, lsub ? "OK Lsub completed." : "OK List completed.");
      }, Lane::kRead, pending_read_ahead());  // changes due at the sync step ride on this trip
}

}  // namespace loft::imap
