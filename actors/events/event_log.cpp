#include "actors/events/event_log.hpp"

#include <algorithm>
#include <charconv>

namespace ce::events {

event_log::event_log(std::string node_id, uint64_t next_seq, std::size_t max_events)
    : node_id_(std::move(node_id)),
      next_seq_(next_seq),
      first_seq_(next_seq),
      max_events_(max_events) {}

void event_log::start_from_store(uint64_t stored, uint64_t last_seq, std::vector<event> newest) {
  if (last_seq + 1 > next_seq_) next_seq_ = first_seq_ = last_seq + 1;
  // Events older than the loaded ones stayed on disk.
  if (stored > newest.size()) complete_from_ = newest.empty() ? next_seq_ : newest.front().seq;
  total_ = stored - newest.size();
  for (auto& e : newest) append_stamped(std::move(e));
}

bool event_log::holds_task(const std::string& task_id) const {
  return by_task_.count(task_id) > 0 && partial_.count(task_id) == 0;
}

bool event_log::holds_after(uint64_t since) const {
  return since + 1 >= complete_from_;
}

void event_log::drop_oldest() {
  const event& oldest = events_.front();
  if (!oldest.id.empty()) {
    auto it = by_task_.find(oldest.task_id);
    if (it != by_task_.end()) {
      it->second.pop_front();
      if (it->second.empty()) {
        by_task_.erase(it);
        partial_.erase(oldest.task_id);
      } else {
        partial_.insert(oldest.task_id);
      }
    }
  }
  events_.pop_front();
  ++first_seq_;
  complete_from_ = first_seq_;
}

const event& event_log::append(event e, timestamp_ms now) {
  append_stamped(stamp(std::move(e), now));
  return events_.back();
}

event event_log::stamp(event e, timestamp_ms now) {
  e.seq = next_seq_++;
  e.id = "evt_" + node_id_ + "_" + std::to_string(e.seq);
  if (e.timestamp == 0) e.timestamp = now;
  return e;
}

void event_log::append_stamped(event e) {
  if (events_.empty()) first_seq_ = e.seq;
  // A failed commit leaves a hole in the seqs; keep the index dense.
  while (first_seq_ + events_.size() < e.seq) {
    event hole;
    hole.seq = first_seq_ + events_.size();
    events_.push_back(std::move(hole));
  }
  if (e.seq >= next_seq_) next_seq_ = e.seq + 1;
  last_appended_ = e.seq;
  auto [seqs, first_seen] = by_task_.try_emplace(e.task_id);
  // Loaded from a window of the store: the task may have older events there.
  if (first_seen && complete_from_ > 1 && e.type != "task_created") partial_.insert(e.task_id);
  seqs->second.push_back(e.seq);
  events_.push_back(std::move(e));
  ++total_;
  while (max_events_ > 0 && events_.size() > max_events_) drop_oldest();
}

const event* event_log::at_seq(uint64_t seq) const {
  if (seq < first_seq_ || seq >= first_seq_ + events_.size()) return nullptr;
  const event* e = &events_[seq - first_seq_];
  return e->id.empty() ? nullptr : e;  // a hole left by a failed commit
}

std::vector<event> event_log::for_task(const std::string& task_id, uint64_t since) const {
  std::vector<event> out;
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return out;
  const auto& seqs = it->second;
  auto from = std::upper_bound(seqs.begin(), seqs.end(), since);
  out.reserve(static_cast<size_t>(seqs.end() - from));
  for (; from != seqs.end(); ++from)
    if (const event* e = at_seq(*from)) out.push_back(*e);
  return out;
}

std::vector<event> event_log::after(uint64_t since) const {
  std::vector<event> out;
  uint64_t from = std::max(since + 1, first_seq_);
  for (uint64_t seq = from; seq < first_seq_ + events_.size(); ++seq)
    if (const event* e = at_seq(seq)) out.push_back(*e);
  return out;
}

bool event_log::page(const event_query& query, event_page& out) const {
  uint64_t below = next_seq_;  // exclusive upper bound
  if (!query.cursor.empty() && !parse_event_cursor(query.cursor, below)) return false;
  uint32_t limit = query.limit == 0 ? 50 : query.limit;
  event_page result;
  std::size_t bytes = 0;
  auto take = [&](const event& e) {
    if (!query.type.empty() && e.type != query.type) return true;
    if (!query.user_id.empty() && e.user_id != query.user_id) return true;
    if (result.events.size() == limit || bytes >= max_page_bytes) {
      result.next_cursor = make_event_cursor(result.events.back().seq);
      return false;
    }
    result.events.push_back(e);
    bytes += page_bytes(e);
    return true;
  };
  if (!query.task_id.empty()) {
    auto it = by_task_.find(query.task_id);
    if (it != by_task_.end()) {
      const auto& seqs = it->second;
      result.total = seqs.size();
      auto end = std::lower_bound(seqs.begin(), seqs.end(), below);
      for (auto i = end; i != seqs.begin();)
        if (const event* e = at_seq(*--i); e && !take(*e)) break;
    }
  } else {
    result.total = events_.size();
    uint64_t top = std::min(below, first_seq_ + events_.size());
    for (uint64_t seq = top; seq > first_seq_;)
      if (const event* e = at_seq(--seq); e && !take(*e)) break;
  }
  if (!query.user_id.empty()) {  // the total of what this user may see, not of everything
    result.total = 0;
    for (const auto& e : events_)
      if (e.user_id == query.user_id && (query.task_id.empty() || e.task_id == query.task_id))
        ++result.total;
  }
  out = std::move(result);
  return true;
}

std::string make_event_cursor(uint64_t seq) {
  return "e" + std::to_string(seq);
}

bool parse_event_cursor(const std::string& text, uint64_t& seq) {
  if (text.size() < 2 || text[0] != 'e') return false;
  auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), seq);
  return ec == std::errc{} && p == text.data() + text.size();
}

}  // namespace ce::events
