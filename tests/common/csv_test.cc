#include "common/csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace vault::csv {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// One thing the reader produced: a record, or an error.
struct Item {
  bool error = false;
  std::vector<std::string> fields;
  ErrorCode code = ErrorCode::kRead;
  int64_t line = 0;
  int64_t end_offset = 0;
  std::string message;
};

// Reads `text` to the end, handing the reader at most `chunk` bytes per read.
std::vector<Item> ReadAll(std::string_view text, size_t chunk = 1 << 16, Options options = {}) {
  options.chunk_bytes = chunk;
  size_t cursor = 0;
  Reader reader(
      [&](char* buf, size_t capacity) -> long {
        size_t n = std::min({capacity, chunk, text.size() - cursor});
        std::copy_n(text.data() + cursor, n, buf);
        cursor += n;
        return static_cast<long>(n);
      },
      options);
  std::vector<Item> items;
  for (int guard = 0; guard < 100000; ++guard) {
    Record record;
    Error error;
    Outcome outcome = reader.Next(&record, &error);
    if (outcome == Outcome::kEnd) {
      EXPECT_EQ(reader.Next(&record, &error), Outcome::kEnd);
      return items;
    }
    Item item;
    if (outcome == Outcome::kError) {
      item.error = true;
      item.code = error.code;
      item.line = error.line;
      item.end_offset = error.end_offset;
      item.message = error.message;
    } else {
      item.fields = record.fields;
      item.line = record.line;
      item.end_offset = record.end_offset;
    }
    items.push_back(item);
  }
  ADD_FAILURE() << "the reader never reached the end";
  return items;
}

std::vector<std::vector<std::string>> FieldsOf(const std::vector<Item>& items) {
  std::vector<std::vector<std::string>> out;
  for (const auto& i : items) {
    EXPECT_FALSE(i.error) << i.message;
    out.push_back(i.fields);
  }
  return out;
}

std::vector<int64_t> LinesOf(const std::vector<Item>& items) {
  std::vector<int64_t> out;
  for (const auto& i : items) out.push_back(i.line);
  return out;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReaderTest, ReadsSimpleRecordsWithLineNumbers) {
  auto items = ReadAll("email,phone,name\na@b.co,+15145550100,Ann\nc@d.co,,Bob\n");
  EXPECT_EQ(
      FieldsOf(items),
      (Rows{{"email", "phone", "name"}, {"a@b.co", "+15145550100", "Ann"}, {"c@d.co", "", "Bob"}}));
  EXPECT_THAT(LinesOf(items), ElementsAre(1, 2, 3));
}

TEST(CsvReaderTest, LastRecordMayLackItsLineBreak) {
  EXPECT_EQ(FieldsOf(ReadAll("a,b\nc,d")), (Rows{{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(FieldsOf(ReadAll("a,b\nc,d\n")), (Rows{{"a", "b"}, {"c", "d"}}));
  EXPECT_TRUE(ReadAll("").empty());
}

TEST(CsvReaderTest, AcceptsCrlfLfAndLoneCr) {
  auto items = ReadAll("a,b\r\nc,d\ne,f\rg,h\r\n");
  EXPECT_EQ(FieldsOf(items), (Rows{{"a", "b"}, {"c", "d"}, {"e", "f"}, {"g", "h"}}));
  EXPECT_THAT(LinesOf(items), ElementsAre(1, 2, 3, 4));
}

TEST(CsvReaderTest, QuotedFieldsWithDelimitersEscapesAndLineBreaks) {
  auto items = ReadAll(
      "name,note\r\n"
      "\"Doe, Jane\",\"say \"\"hi\"\"\"\r\n"
      "\"two\nlines\",\"three\r\nlines\rhere\"\r\n"
      "\"\",x\r\n"
      "last,\"\"\"\"\r\n");
  EXPECT_EQ(FieldsOf(items), (Rows{{"name", "note"},
                                   {"Doe, Jane", "say \"hi\""},
                                   {"two\nlines", "three\r\nlines\rhere"},
                                   {"", "x"},
                                   {"last", "\""}}));
  // The record with three embedded line breaks starts on line 3 and spans 4.
  EXPECT_THAT(LinesOf(items), ElementsAre(1, 2, 3, 7, 8));
}

TEST(CsvReaderTest, EmptyFieldsAndBlankLines) {
  auto items = ReadAll("a,,c\n,\n\nx,\n");
  EXPECT_EQ(FieldsOf(items), (Rows{{"a", "", "c"}, {"", ""}, {""}, {"x", ""}}));
  EXPECT_THAT(LinesOf(items), ElementsAre(1, 2, 3, 4));
}

TEST(CsvReaderTest, DropsAUtf8ByteOrderMark) {
  auto items = ReadAll(
      "\xEF\xBB\xBF"
      "email\nx@y.co\n");
  EXPECT_EQ(FieldsOf(items), (Rows{{"email"}, {"x@y.co"}}));
  // Only at the very start.
  items = ReadAll(
      "a\n\xEF\xBB\xBF"
      "b\n");
  EXPECT_EQ(FieldsOf(items), (Rows{{"a"},
                                   {"\xEF\xBB\xBF"
                                    "b"}}));
  // A BOM and nothing else is an empty file.
  EXPECT_TRUE(ReadAll("\xEF\xBB\xBF").empty());
}

TEST(CsvReaderTest, RefusesUtf16AndStops) {
  auto items =
      ReadAll(std::string("\xFF\xFE"
                          "e\0m\0",
                          6));
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].error);
  EXPECT_EQ(items[0].code, ErrorCode::kUtf16);
  EXPECT_THAT(items[0].message, HasSubstr("UTF-8"));
}

TEST(CsvReaderTest, SemicolonDelimiter) {
  Options options;
  options.delimiter = ';';
  auto items = ReadAll("courriel;t\xC3\xA9l\xC3\xA9phone\n\"a;b\";1,5\n", 1 << 16, options);
  EXPECT_EQ(FieldsOf(items), (Rows{{"courriel", "t\xC3\xA9l\xC3\xA9phone"}, {"a;b", "1,5"}}));
}

TEST(CsvReaderTest, UnterminatedQuoteAtTheEndIsReportedWithItsLine) {
  auto items = ReadAll("a,b\nc,d\n\"e,f\ng,h\n");
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[2].code, ErrorCode::kUnterminatedQuote);
  EXPECT_TRUE(items[2].error);
  EXPECT_EQ(items[2].line, 3);
  EXPECT_THAT(items[2].message, HasSubstr("line 3"));
  // Reading resumed on the line after the stray quote.
  EXPECT_FALSE(items[3].error);
  EXPECT_EQ(items[3].fields, (std::vector<std::string>{"g", "h"}));
  EXPECT_EQ(items[3].line, 4);
}

TEST(CsvReaderTest, UnterminatedQuoteOnTheLastLine) {
  auto items = ReadAll("a,b\nc,\"d");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].code, ErrorCode::kUnterminatedQuote);
  EXPECT_EQ(items[1].line, 2);
}

TEST(CsvReaderTest, AStrayQuoteMidFileCostsOneLine) {
  Options options;
  options.max_record_bytes = 64;
  std::string text = "h1,h2\n\"broken,x\n";
  for (int i = 0; i < 20; ++i) text += "row" + std::to_string(i) + ",v\n";
  auto items = ReadAll(text, 7, options);
  ASSERT_EQ(items.size(), 22u);
  EXPECT_FALSE(items[0].error);
  EXPECT_TRUE(items[1].error);
  EXPECT_EQ(items[1].code, ErrorCode::kUnterminatedQuote);
  EXPECT_EQ(items[1].line, 2);
  for (int i = 0; i < 20; ++i) {
    ASSERT_FALSE(items[2 + i].error) << i;
    EXPECT_EQ(items[2 + i].fields[0], "row" + std::to_string(i));
    EXPECT_EQ(items[2 + i].line, 3 + i);
  }
}

TEST(CsvReaderTest, BareQuoteAndTextAfterQuoteSkipTheLine) {
  auto items = ReadAll("a,b\nBob \"the\" Builder,x\n\"ok\"junk,y\nc,d\n");
  ASSERT_EQ(items.size(), 4u);
  EXPECT_EQ(items[1].code, ErrorCode::kBareQuote);
  EXPECT_EQ(items[1].line, 2);
  EXPECT_EQ(items[2].code, ErrorCode::kTextAfterQuote);
  EXPECT_EQ(items[2].line, 3);
  EXPECT_EQ(items[3].fields, (std::vector<std::string>{"c", "d"}));
  EXPECT_EQ(items[3].line, 4);
}

TEST(CsvReaderTest, ErrorMessagesNeverQuoteTheInput) {
  auto items =
      ReadAll("secret@example.com \"x\",1\n\"secret2@example.com\"y\n\"secret3@example.com");
  ASSERT_EQ(items.size(), 3u);
  for (const auto& i : items) {
    ASSERT_TRUE(i.error);
    EXPECT_THAT(i.message, Not(HasSubstr("secret")));
  }
}

TEST(CsvReaderTest, BoundsTheRecordSize) {
  Options options;
  options.max_record_bytes = 100;
  std::string huge(10000, 'x');
  std::string text = "a,b\n" + huge + "," + huge + "\nc,d\n\"" + huge + "\"\ne,f\n";
  for (size_t chunk : {1u, 13u, 4096u}) {
    auto items = ReadAll(text, chunk, options);
    ASSERT_EQ(items.size(), 5u) << chunk;
    EXPECT_EQ(items[1].code, ErrorCode::kRecordTooLong);
    EXPECT_EQ(items[1].line, 2);
    EXPECT_EQ(items[2].fields, (std::vector<std::string>{"c", "d"}));
    EXPECT_EQ(items[2].line, 3);
    // An over-long quoted field: most likely a missing quote.
    EXPECT_EQ(items[3].code, ErrorCode::kUnterminatedQuote);
    EXPECT_EQ(items[3].line, 4);
    EXPECT_EQ(items[4].fields, (std::vector<std::string>{"e", "f"}));
    EXPECT_EQ(items[4].line, 5);
  }
}

TEST(CsvReaderTest, ARecordJustUnderTheLimitIsRead) {
  Options options;
  options.max_record_bytes = 16;
  auto items = ReadAll("0123456789abcdef\n0123456789abcdefg\n", 5, options);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_FALSE(items[0].error);
  EXPECT_TRUE(items[1].error);
}

TEST(CsvReaderTest, BoundsTheFieldCount) {
  Options options;
  options.max_fields = 3;
  auto items = ReadAll("a,b,c\na,b,c,d\n,,,,,,\nx\n", 1 << 16, options);
  ASSERT_EQ(items.size(), 4u);
  EXPECT_FALSE(items[0].error);
  EXPECT_EQ(items[1].code, ErrorCode::kTooManyFields);
  EXPECT_EQ(items[2].code, ErrorCode::kTooManyFields);
  EXPECT_EQ(items[3].fields, (std::vector<std::string>{"x"}));
  EXPECT_EQ(items[3].line, 4);
}

TEST(CsvReaderTest, ReportsAFailingSource) {
  int calls = 0;
  Reader reader(
      [&](char* buf, size_t) -> long {
        if (++calls == 1) {
          std::copy_n("a,b\nc", 5, buf);
          return 5;
        }
        return -1;
      },
      {});
  Record r;
  Error e;
  ASSERT_EQ(reader.Next(&r, &e), Outcome::kRecord);
  ASSERT_EQ(reader.Next(&r, &e), Outcome::kError);
  EXPECT_EQ(e.code, ErrorCode::kRead);
  EXPECT_EQ(reader.Next(&r, &e), Outcome::kEnd);
}

TEST(CsvReaderTest, OffsetsTrackConsumedBytes) {
  std::string text =
      "\xEF\xBB\xBF"
      "ab,c\r\n\"d\ne\",f\n";
  auto items = ReadAll(text, 2);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].end_offset, 9);
  EXPECT_EQ(items[1].end_offset, static_cast<int64_t>(text.size()));
}

TEST(CsvReaderTest, FromStringReadsTheWholeText) {
  std::string text = "a,\"b\"\nc,d";
  Reader reader = Reader::FromString(text);
  Record r;
  Error e;
  ASSERT_EQ(reader.Next(&r, &e), Outcome::kRecord);
  EXPECT_THAT(r.fields, ElementsAre("a", "b"));
  ASSERT_EQ(reader.Next(&r, &e), Outcome::kRecord);
  EXPECT_THAT(r.fields, ElementsAre("c", "d"));
  EXPECT_EQ(reader.Next(&r, &e), Outcome::kEnd);
  EXPECT_EQ(reader.offset(), static_cast<int64_t>(text.size()));
}

// Every chunk size gives the same records, errors and line numbers: nothing
// depends on where a read happens to end (inside "", CRLF, a BOM...).
TEST(CsvReaderTest, ChunkBoundariesDoNotMatter) {
  std::string text =
      "\xEF\xBB\xBF"
      "h1,h2\r\n\"a\"\"b\",\"c\r\nd\"\r\ne,f\rg\"x,h\n\"i\"j,k\n,\r\n\"unterminated\nl,m";
  auto reference = ReadAll(text, 1 << 16);
  ASSERT_GE(reference.size(), 6u);
  for (size_t chunk = 1; chunk <= 12; ++chunk) {
    auto items = ReadAll(text, chunk);
    ASSERT_EQ(items.size(), reference.size()) << "chunk " << chunk;
    for (size_t i = 0; i < items.size(); ++i) {
      EXPECT_EQ(items[i].error, reference[i].error) << chunk << "/" << i;
      EXPECT_EQ(items[i].fields, reference[i].fields) << chunk << "/" << i;
      EXPECT_EQ(items[i].line, reference[i].line) << chunk << "/" << i;
      EXPECT_EQ(items[i].end_offset, reference[i].end_offset) << chunk << "/" << i;
    }
  }
}

// FormatRecord and Reader agree: whatever is written is read back as is.
TEST(CsvReaderTest, RoundTripsRandomRecords) {
  std::mt19937 rng(4180);
  const std::string alphabet = "ab ,;\"\r\n\xC3\xA9=-x";
  for (char delimiter : {',', ';'}) {
    std::vector<std::vector<std::string>> rows;
    std::string text;
    for (int r = 0; r < 300; ++r) {
      std::vector<std::string> row(1 + rng() % 5);
      for (auto& f : row) {
        size_t len = rng() % 8;
        for (size_t i = 0; i < len; ++i) f.push_back(alphabet[rng() % alphabet.size()]);
      }
      // A lone empty field would be written as a blank line: read back the same.
      rows.push_back(row);
      text += FormatRecord(row, delimiter);
    }
    Options options;
    options.delimiter = delimiter;
    for (size_t chunk : {1u, 3u, 64u, 65536u}) {
      EXPECT_EQ(FieldsOf(ReadAll(text, chunk, options)), rows) << delimiter << chunk;
    }
  }
}

TEST(CsvFormatTest, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(FormatRecord({"a", "b c", ""}), "a,b c,\r\n");
  EXPECT_EQ(FormatRecord({"a,b", "say \"hi\"", "x\ny", " pad"}),
            "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\",\" pad\"\r\n");
  EXPECT_EQ(FormatRecord({"a;b", "c,d"}, ';'), "\"a;b\";c,d\r\n");
}

TEST(CsvFormatTest, DefusesFormulasWhenAsked) {
  EXPECT_EQ(FormatRecord({"=HYPERLINK(1)", "+1", "-2", "@x", "ok"}, ',', true),
            "'=HYPERLINK(1),'+1,'-2,'@x,ok\r\n");
  EXPECT_EQ(FormatRecord({"=1"}), "=1\r\n");
}

}  // namespace
}  // namespace vault::csv
