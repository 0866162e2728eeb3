#include "zcp/http/validators.h"

#include <fmt/format.h>

#include <ctime>

#include "zcp/http/http_text.h"

namespace zcp {

namespace {

// Fixed English names: strftime's %a and %b follow the locale, HTTP does not.
constexpr std::string_view kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::string_view kLongDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};


// --- a tiny scanner over the date grammar: each eat_* consumes on success.

bool eat(std::string_view& s, std::string_view literal) {
  if (!s.starts_with(literal)) return false;
  s.remove_prefix(literal.size());
  return true;
}

bool eat_digits(std::string_view& s, size_t width, int& out) {
  if (s.size() < width) return false;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    value = value * 10 + (s[i] - '0');
  }
  out = value;
  s.remove_prefix(width);
  return true;
}

template <size_t N>
bool eat_name(std::string_view& s, const std::string_view (&names)[N], int* index = nullptr) {
  for (size_t i = 0; i < N; ++i) {
    if (eat(s, names[i])) {
      if (index) *index = static_cast<int>(i);
      return true;
    }
  }
  return false;
}

struct DateParts {
  int year = 0;
  int month = 0;  // 0-11
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

bool eat_time(std::string_view& s, DateParts& d) {
  return eat_digits(s, 2, d.hour) && eat(s, ":") && eat_digits(s, 2, d.minute) && eat(s, ":") &&
         eat_digits(s, 2, d.second);
}

// "Sun, 06 Nov 1994 08:49:37 GMT"
bool parse_imf_fixdate(std::string_view s, DateParts& d) {
  return eat_name(s, kDays) && eat(s, ", ") && eat_digits(s, 2, d.day) && eat(s, " ") &&
         eat_name(s, kMonths, &d.month) && eat(s, " ") && eat_digits(s, 4, d.year) && eat(s, " ") &&
         eat_time(s, d) && eat(s, " GMT") && s.empty();
}

// RFC 9110 section 5.6.7: a two-digit year more than 50 years ahead means
// the most recent past year with those digits.
int expand_two_digit_year(int yy) {
  time_t now = time(nullptr);
  struct tm tm {};
  gmtime_r(&now, &tm);
  int this_year = tm.tm_year + 1900;
  int year = this_year - this_year % 100 + yy;
  return year > this_year + 50 ? year - 100 : year;
}

// "Sunday, 06-Nov-94 08:49:37 GMT"
bool parse_rfc850(std::string_view s, DateParts& d) {
  int yy = 0;
  bool ok = eat_name(s, kLongDays) && eat(s, ", ") && eat_digits(s, 2, d.day) && eat(s, "-") &&
            eat_name(s, kMonths, &d.month) && eat(s, "-") && eat_digits(s, 2, yy) && eat(s, " ") &&
            eat_time(s, d) && eat(s, " GMT") && s.empty();
  if (ok) d.year = expand_two_digit_year(yy);
  return ok;
}

// "Sun Nov  6 08:49:37 1994": the day is space-padded.
bool parse_asctime(std::string_view s, DateParts& d) {
  if (!(eat_name(s, kDays) && eat(s, " ") && eat_name(s, kMonths, &d.month) && eat(s, " "))) {
    return false;
  }
  bool day_ok = eat(s, " ") ? eat_digits(s, 1, d.day) : eat_digits(s, 2, d.day);
  return day_ok && eat(s, " ") && eat_time(s, d) && eat(s, " ") && eat_digits(s, 4, d.year) &&
         s.empty();
}

bool leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// timegm would quietly turn "31 Feb" into 3 March: check the fields first.
bool plausible(const DateParts& d) {
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int days = kMonthDays[d.month] + (d.month == 1 && leap_year(d.year) ? 1 : 0);
  // 60 is a leap second, which the grammar allows.
  return d.day >= 1 && d.day <= days && d.hour <= 23 && d.minute <= 59 && d.second <= 60;
}

// An entity-tag (RFC 9110 section 8.8.3): W/ and the quoted opaque-tag.
struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // with its quotes
};

// Consumes one entity-tag and the OWS after it; nullopt when malformed.
std::optional<EntityTag> eat_entity_tag(std::string_view& s) {
  EntityTag tag;
  tag.weak = eat(s, "W/");
  if (s.empty() || s.front() != '"') return std::nullopt;
  size_t close = s.find('"', 1);
  if (close == std::string_view::npos) return std::nullopt;
  tag.opaque = s.substr(0, close + 1);
  s = trim_ows(s.substr(close + 1));
  return tag;
}

std::optional<EntityTag> whole_entity_tag(std::string_view s) {
  s = trim_ows(s);
  auto tag = eat_entity_tag(s);
  if (!tag || !s.empty()) return std::nullopt;
  return tag;
}

}  // namespace

std::string make_etag(const struct stat& st) {
  uint64_t mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1'000'000'000ULL +
                      static_cast<uint64_t>(st.st_mtim.tv_nsec);
  return fmt::format("\"{:x}-{:x}-{:x}\"", static_cast<uint64_t>(st.st_ino),
                     static_cast<uint64_t>(st.st_size), mtime_ns);
}

std::string http_date(int64_t seconds_since_epoch) {
  time_t t = static_cast<time_t>(seconds_since_epoch);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) {  // a year past INT_MAX: say the epoch
    t = 0;
    gmtime_r(&t, &tm);
  }
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::optional<int64_t> parse_http_date(std::string_view text) {
  text = trim_ows(text);
  DateParts d;
  if (!parse_imf_fixdate(text, d) && !parse_rfc850(text, d) && !parse_asctime(text, d)) {
    return std::nullopt;
  }
  if (!plausible(d)) return std::nullopt;
  struct tm tm {};
  tm.tm_year = d.year - 1900;
  tm.tm_mon = d.month;
  tm.tm_mday = d.day;
  tm.tm_hour = d.hour;
  tm.tm_min = d.minute;
  tm.tm_sec = d.second;
  return static_cast<int64_t>(timegm(&tm));
}

bool etag_list_matches(std::string_view if_none_match, std::string_view etag) {
  std::string_view list = trim_ows(if_none_match);
  if (list == "*") return true;
  auto mine = whole_entity_tag(etag);
  if (!mine) return false;
  while (true) {
    while (!list.empty() && (list.front() == ',' || list.front() == ' ' || list.front() == '\t')) {
      list.remove_prefix(1);
    }
    if (list.empty()) return false;
    auto theirs = eat_entity_tag(list);
    if (!theirs || !(list.empty() || list.front() == ',')) return false;  // malformed: no match
    // Weak comparison (RFC 9110 section 8.8.3.2): W/ does not matter.
    if (theirs->opaque == mine->opaque) return true;
  }
}

bool not_modified_since(std::string_view if_modified_since, int64_t mtime) {
  auto since = parse_http_date(if_modified_since);
  return since && mtime <= *since;
}

bool if_range_matches(std::string_view if_range, std::string_view etag, int64_t mtime) {
  std::string_view value = trim_ows(if_range);
  if (value.starts_with("W/") || value.starts_with("\"")) {
    // Strong comparison (RFC 9110 section 13.1.5): a weak tag never matches.
    auto theirs = whole_entity_tag(value);
    auto mine = whole_entity_tag(etag);
    return theirs && mine && !theirs->weak && !mine->weak && theirs->opaque == mine->opaque;
  }
  auto date = parse_http_date(value);
  return date && *date == mtime;
}

}  // namespace zcp
