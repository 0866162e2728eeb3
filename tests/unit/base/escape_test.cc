#include "zcp/base/escape.h"

#include <gtest/gtest.h>

namespace zcp {
namespace {

TEST(EscapePeerText, PlainTextAndUtf8PassUnchanged) {
  EXPECT_EQ(escape_peer_text("photos/2026 summer.jpg"), "photos/2026 summer.jpg");
  EXPECT_EQ(escape_peer_text("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
            "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
}

TEST(EscapePeerText, C0ControlsEscAndDelAreHex) {
  EXPECT_EQ(escape_peer_text("a\x1b]0;owned\x07z"), "a\\x1b]0;owned\\x07z");
  EXPECT_EQ(escape_peer_text(std::string("n\0l", 3)), "n\\x00l");
  EXPECT_EQ(escape_peer_text("line\r\nforged"), "line\\x0d\\x0aforged");
  EXPECT_EQ(escape_peer_text("\x7f"), "\\x7f");
}

TEST(EscapePeerText, QuoteAndBackslashCannotBreakALogField) {
  EXPECT_EQ(escape_peer_text("a\"b\\c"), "a\\x22b\\x5cc");
}

TEST(EscapePeerText, RawC1BytesAreHex) {
  EXPECT_EQ(escape_peer_text("x\x9b" "2J"), "x\\x9b2J");  // 8-bit CSI
  EXPECT_EQ(escape_peer_text("\x80\x9f"), "\\x80\\x9f");
}

TEST(EscapePeerText, Utf8EncodedC1IsHex) {
  EXPECT_EQ(escape_peer_text("x\xc2\x9b" "2J"), "x\\xc2\\x9b2J");
  EXPECT_EQ(escape_peer_text("\xc2\x85"), "\\xc2\\x85");  // NEL
  EXPECT_EQ(escape_peer_text("\xc2\xa0"), "\xc2\xa0");    // U+00A0 is printable
}

TEST(EscapePeerText, BidiOverridesAndSeparatorsAreHex) {
  EXPECT_EQ(escape_peer_text("gpj.\xe2\x80\xae" "exe"), "gpj.\\xe2\\x80\\xaeexe");
  EXPECT_EQ(escape_peer_text("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");
  EXPECT_EQ(escape_peer_text("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
}

TEST(EscapePeerText, InvalidUtf8IsHexByteByByte) {
  EXPECT_EQ(escape_peer_text("\xc3"), "\\xc3");              // truncated
  EXPECT_EQ(escape_peer_text("\xc0\xaf"), "\\xc0\\xaf");     // overlong '/'
  EXPECT_EQ(escape_peer_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate
  EXPECT_EQ(escape_peer_text("\xf5\x80\x80\x80"), "\\xf5\\x80\\x80\\x80");
  EXPECT_EQ(escape_peer_text("\xe6\x97" "a"), "\\xe6\\x97a");  // resyncs on 'a'
}

TEST(EscapePeerText, LongTextIsCut) {
  EXPECT_EQ(escape_peer_text(std::string(600, 'a')), std::string(512, 'a') + "...");
  EXPECT_EQ(escape_peer_text("abcdef", 3), "abc...");
  EXPECT_EQ(escape_peer_text("abc", 3), "abc");
}

}  // namespace

// For a terminal: what escape_peer_text made stays as it is (a backslash
// is not escaped again), while control bytes still are.
TEST(EscapeTerminalText, KeepsBackslashAndQuoteEscapesControls) {
  EXPECT_EQ(escape_terminal_text(escape_peer_text("a\x1b[2J\"b")), "a\\x1b[2J\\x22b");
  EXPECT_EQ(escape_terminal_text("C:\\dir \"x\""), "C:\\dir \"x\"");
  EXPECT_EQ(escape_terminal_text("\x1b]0;t\x07"), "\\x1b]0;t\\x07");
}

}  // namespace zcp
