// Tasks spam (hashed words) and spam-bytes: email parsing, both encodings, content-hash splits,
// errors, the registry entries, and the real SpamAssassin corpus when scripts/setup.sh has fetched
// it.
#include "data/spam.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <set>

#include "data/task.hpp"
#include "fixtures/idx_files.hpp"
#include "fixtures/temp_dir.hpp"

namespace mpgru::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

void write_text(const fs::path& path, const std::string& text) {
  testing::write_bytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

struct ParseCase {
  const char* name;
  std::string raw;
  std::string subject;  // after normalise_whitespace
  std::string body;     // as is
};

void PrintTo(const ParseCase& c, std::ostream* os) {
  *os << c.name;
}

class SpamParse : public ::testing::TestWithParam<ParseCase> {};

TEST_P(SpamParse, KeepsOnlyTheSubjectAndTheBody) {
  const EmailParts parts = parse_email(GetParam().raw);
  EXPECT_EQ(normalise_whitespace(parts.subject), GetParam().subject);
  EXPECT_EQ(parts.body, GetParam().body);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SpamParse,
    ::testing::Values(
        ParseCase{"lf", "From a@b  Thu Aug 22\nList-Id: <x.y>\nSubject: Hi there\n\nbody\n",
                  "Hi there", "body\n"},
        ParseCase{"crlf", "Subject: Hi\r\nFrom: a@b\r\n\r\nline 1\r\nline 2\r\n", "Hi",
                  "line 1\r\nline 2\r\n"},
        ParseCase{"folded", "Subject: one\r\n two\n\tthree\nReferences: <r>\n cont\n\nb",
                  "one two three", "b"},
        ParseCase{"name_case_and_blank_before_colon", "SUBJECT :  odd\n\nb", "odd", "b"},
        ParseCase{"first_subject_wins", "Subject: first\nSubject: second\n\nb", "first", "b"},
        ParseCase{"subject_prefix_is_not_subject", "Subjects: no\nX-Subject: no\n\nb", "", "b"},
        ParseCase{"blank_only_line_is_folding", "Subject: a\n \nTo: c\n\nb", "a", "b"},
        ParseCase{"no_separator_is_all_headers", "Subject: s\nList-Id: <leak>\nbody?", "s", ""},
        ParseCase{"starts_with_empty_line", "\nSubject: not a header\n", "",
                  "Subject: not a header\n"},
        ParseCase{"empty", "", "", ""}),
    [](const ::testing::TestParamInfo<ParseCase>& p) { return std::string(p.param.name); });

TEST(Spam, WhitespaceRunsBecomeOneSpaceAndEndsAreTrimmed) {
  EXPECT_EQ(normalise_whitespace(" \t a \r\n\r\n b\f\vc  \n"), "a b c");
  EXPECT_EQ(normalise_whitespace("\xa0x\xa0"), "\xa0x\xa0");  // only ASCII whitespace
  EXPECT_EQ(normalise_whitespace(" \n "), "");
  EXPECT_EQ(spam_text("Subject:  Hello \n\n\n  world \n"), "Hello world");
  EXPECT_EQ(spam_text("From: x\n\nno subject"), "no subject");
}

TEST(Spam, ByteTokensAreLeftPaddedOrTruncated) {
  SpamOptions o;
  o.length = 5;
  EXPECT_EQ(spam_tokens("ab", o), (std::vector<int32_t>{0, 0, 0, 'a' + 1, 'b' + 1}));
  EXPECT_EQ(spam_tokens("abcdefg", o),
            (std::vector<int32_t>{'a' + 1, 'b' + 1, 'c' + 1, 'd' + 1, 'e' + 1}));
  EXPECT_EQ(spam_tokens(std::string("\0\xff", 2), o), (std::vector<int32_t>{0, 0, 0, 1, 256}));
  EXPECT_EQ(spam_tokens("", o), std::vector<int32_t>(5, 0));
  EXPECT_EQ(spam_vocabulary(o), 257);
}

TEST(Spam, WordsAreLowerCasedAlphanumericOrEightBitRuns) {
  EXPECT_EQ(spam_words("Hello, WORLD42! caf\xe9 \xc3\xa9t\xc3\xa9_x-1"),
            (std::vector<std::string>{"hello", "world42", "caf", "\xe9", "\xc3\xa9", "t",
                                      "\xc3\xa9", "x", "1"}));
  EXPECT_TRUE(spam_words(" ,.;<>\t").empty());
}

TEST(Spam, WordTokensAreHashedIntoBucketsAndLeftPadded) {
  SpamOptions o;
  o.tokens = SpamTokens::words;
  o.length = 6;
  o.word_buckets = 16;
  const std::vector<int32_t> t = spam_tokens("Free FREE money, free!", o);
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t[0], 0);
  EXPECT_EQ(t[1], 0);
  EXPECT_EQ(t[2], t[3]);  // "free" whatever its case
  EXPECT_EQ(t[2], t[5]);
  for (size_t i = 2; i < 6; ++i) {
    EXPECT_GE(t[i], 1);
    EXPECT_LT(t[i], 16);
  }
  o.length = 2;  // the first words, not the last
  EXPECT_EQ(spam_tokens("free money free free", o), (std::vector<int32_t>{t[2], t[4]}));
  EXPECT_EQ(spam_vocabulary(o), 16);
}

TEST(Spam, OptionsOutsideTheirRangesAreRejected) {
  SpamOptions o;
  o.length = 0;
  EXPECT_THROW(spam_tokens("a", o), std::invalid_argument);
  o = {};
  o.tokens = SpamTokens::words;
  o.word_buckets = 1;
  EXPECT_THROW(spam_vocabulary(o), std::invalid_argument);
  o.word_buckets = (int64_t{1} << 24) + 1;
  EXPECT_THROW(spam_tokens("a", o), std::invalid_argument);
  o.tokens = SpamTokens::bytes;  // bytes ignore word_buckets
  EXPECT_EQ(spam_vocabulary(o), 257);
}

// FNV-1a 64 of the ids as 4 little-endian bytes each, as spam.hpp states it, written out here
// so that a change to the hash or its byte order fails the test below.
uint64_t documented_hash(const std::vector<int32_t>& tokens) {
  uint64_t hash = 0xcbf29ce484222325;
  for (int32_t id : tokens) {
    const auto u = static_cast<uint32_t>(id);
    for (uint32_t byte : {u & 0xffu, (u >> 8) & 0xffu, (u >> 16) & 0xffu, u >> 24}) {
      hash ^= byte;
      hash *= 0x100000001b3;
    }
  }
  return hash;
}

TEST(Spam, SplitIsSixtyTwentyTwentyByHashModuloTen) {
  // hash % 10 -> split: 0..5 train, 6..7 validation, 8..9 test.
  const Split kByBucket[10] = {Split::train, Split::train, Split::train,      Split::train,
                               Split::train, Split::train, Split::validation, Split::validation,
                               Split::test,  Split::test};
  bool seen[10] = {};
  for (int32_t a = 0; a < 200; ++a) {
    // FNV-1a's low bit is the XOR of the input bytes' low bits (odd prime, odd basis), so the
    // bytes' parity must vary too, or only odd buckets are reached.
    const std::vector<int32_t> tokens = {0, a, a * a};
    const uint64_t bucket = documented_hash(tokens) % 10;
    seen[bucket] = true;
    EXPECT_EQ(spam_split(tokens), kByBucket[bucket]) << "a = " << a << ", bucket " << bucket;
  }
  for (int b = 0; b < 10; ++b) EXPECT_TRUE(seen[b]) << "no input fell in bucket " << b;
}

// The identical subject and body of two emails that differ in their headers only.
const std::string kTwinText = "Subject: Cheap meds\n\nBuy   now\n";

// A tiny corpus in the package's layout: group/<id>.<md5>.txt.
void make_corpus(const fs::path& dir) {
  const std::vector<std::pair<std::string, std::string>> emails = {
      {"easy-ham-1/00001.aa.txt",
       "From list@example.org  Thu Aug 22 12:36:23 2002\nList-Id: <zzlistidzz.example.org>\n"
       "References: <zzrefzz@example.org>\nSubject: Meeting notes\n\nSee you\n  tomorrow\n"},
      {"easy-ham-1/00002.bb.txt",
       "In-Reply-To: <zzreplyzz@x>\r\nSubject: Folded\r\n\tsubject line\r\n\r\nCRLF body\r\n"},
      {"easy-ham-2/00003.cc.txt", "Subject: headers only\nList-Id: <zzlistidzz.example.org>\n"},
      {"hard-ham-1/00004.dd.txt", "Subject: bytes\n\ncaf\xe9 \xff\xfe\x80 end\n"},
      {"spam-1/00005.ee.txt", "From: zzsender1zz@spam.example\n" + kTwinText},
      {"spam-1/00006.ff.txt", "Subject: WIN\n\n" + std::string(600, 'x')},
      {"spam-2/00007.gg.txt", "Received: from zzrelayzz\nFrom: other@spam.example\n" + kTwinText},
  };
  for (const char* group : {"easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"}) {
    fs::create_directories(dir / group);
  }
  for (const auto& [name, text] : emails) write_text(dir / name, text);
  write_text(dir / "spam-2" / "notes.json", "{}");  // not an email: ignored
}

// The text a byte-token sequence holds, padding dropped.
std::string decode_bytes(const Sequences& s, int64_t i) {
  std::string out;
  for (int64_t t = 0; t < s.steps; ++t) {
    const auto id = static_cast<int>(s.sequence(i)[t]);
    if (id > 0) out += static_cast<char>(id - 1);
  }
  return out;
}

// Every sequence of the dataset as text (bytes encoding) with its split and label.
struct Decoded {
  std::string text;
  Split split;
  int32_t label;
};

std::vector<Decoded> decode_all(const Dataset& d) {
  std::vector<Decoded> out;
  for (Split split : {Split::train, Split::validation, Split::test}) {
    const Sequences& s = d.split(split);
    for (int64_t i = 0; i < s.count(); ++i) out.push_back({decode_bytes(s, i), split, s.labels[i]});
  }
  return out;
}

TEST(SpamCorpusTest, ReadsGroupsInOrderWithTheirLabels) {
  TempDir dir;
  make_corpus(dir.path());
  const SpamCorpus c = read_spam_corpus(dir.path());
  ASSERT_EQ(c.emails.size(), 7u);
  std::vector<std::string> order;
  std::vector<int32_t> labels;
  for (const SpamEmail& e : c.emails) {
    order.push_back(e.group + "/" + e.file);
    labels.push_back(e.label);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"easy-ham-1/00001.aa.txt", "easy-ham-1/00002.bb.txt",
                                             "easy-ham-2/00003.cc.txt", "hard-ham-1/00004.dd.txt",
                                             "spam-1/00005.ee.txt", "spam-1/00006.ff.txt",
                                             "spam-2/00007.gg.txt"}));
  EXPECT_EQ(labels, (std::vector<int32_t>{0, 0, 0, 0, 1, 1, 1}));
  EXPECT_EQ(c.emails[0].text, "Meeting notes See you tomorrow");
  EXPECT_EQ(c.emails[1].text, "Folded subject line CRLF body");
  EXPECT_EQ(c.emails[2].text, "headers only");
  EXPECT_TRUE(c.emails[2].empty_body);
  EXPECT_EQ(c.emails[3].text, "bytes caf\xe9 \xff\xfe\x80 end");
  EXPECT_EQ(c.emails[4].text, c.emails[6].text);
  EXPECT_EQ(c.skipped, 0);
}

TEST(SpamCorpusTest, NoHeaderButTheSubjectReachesTheModel) {
  TempDir dir;
  make_corpus(dir.path());
  const InMemoryDataset d = spam_dataset(read_spam_corpus(dir.path()));
  std::set<std::string> texts;
  for (const Decoded& e : decode_all(d)) {
    for (const char* leak : {"zz", "List-Id", "From", "Received", "example", "Subject"}) {
      EXPECT_EQ(e.text.find(leak), std::string::npos) << leak << " in: " << e.text;
    }
    texts.insert(e.text);
  }
  EXPECT_EQ(texts.count("Meeting notes See you tomorrow"), 1u);
  EXPECT_EQ(texts.count("Folded subject line CRLF body"), 1u);
  EXPECT_EQ(texts.count("Cheap meds Buy now"), 1u);  // the twins, one text
}

TEST(SpamCorpusTest, BytesDatasetShapesAndTruncation) {
  TempDir dir;
  make_corpus(dir.path());
  SpamOptions o;
  o.length = 64;
  const InMemoryDataset d = spam_dataset(read_spam_corpus(dir.path()), o);
  EXPECT_EQ(d.name(), "spam-bytes");
  EXPECT_EQ(d.num_classes(), 2);
  EXPECT_EQ(d.steps(), 64);
  EXPECT_EQ(d.features(), 1);
  EXPECT_EQ(d.vocabulary(), 257);
  std::multiset<std::string> texts;
  for (const Decoded& e : decode_all(d)) texts.insert(e.text);
  EXPECT_EQ(texts.size(), 7u);
  EXPECT_EQ(texts.count("WIN " + std::string(60, 'x')), 1u);  // the first 64 of 604 bytes
  // Content ends at the last step: "Meeting notes See you tomorrow" is 30 bytes of 64.
  for (Split split : {Split::train, Split::validation, Split::test}) {
    const Sequences& s = d.split(split);
    for (int64_t i = 0; i < s.count(); ++i) {
      if (decode_bytes(s, i) != "Meeting notes See you tomorrow") continue;
      EXPECT_EQ(s.sequence(i)[33], 0.0f);
      EXPECT_EQ(s.sequence(i)[34], static_cast<float>('M' + 1));
      EXPECT_EQ(s.sequence(i)[63], static_cast<float>('w' + 1));
    }
  }
}

TEST(SpamCorpusTest, WordsDatasetTokensStayBelowItsVocabulary) {
  TempDir dir;
  make_corpus(dir.path());
  SpamOptions o;
  o.tokens = SpamTokens::words;
  o.length = 8;
  o.word_buckets = 32;
  const InMemoryDataset d = spam_dataset(read_spam_corpus(dir.path()), o);
  EXPECT_EQ(d.name(), "spam");
  EXPECT_EQ(d.vocabulary(), 32);
  EXPECT_EQ(d.steps(), 8);
  for (Split split : {Split::train, Split::validation, Split::test}) {
    for (float v : d.split(split).values) {
      EXPECT_GE(v, 0.0f);
      EXPECT_LT(v, 32.0f);
    }
  }
}

TEST(SpamCorpusTest, EqualInputsShareASplitAndLoadsRepeatExactly) {
  TempDir dir;
  make_corpus(dir.path());
  const SpamCorpus c = read_spam_corpus(dir.path());
  std::map<std::string, Split> split_of;
  const InMemoryDataset d = spam_dataset(c);
  for (const Decoded& e : decode_all(d)) {
    const auto [it, fresh] = split_of.emplace(e.text, e.split);
    EXPECT_EQ(it->second, e.split) << e.text;
  }
  EXPECT_EQ(split_of.size(), 6u);  // 7 emails, the twins one input
  const SpamOptions o;
  EXPECT_EQ(spam_split(spam_tokens(c.emails[4].text, o)),
            spam_split(spam_tokens(c.emails[6].text, o)));
  const InMemoryDataset again = spam_dataset(read_spam_corpus(dir.path()));
  for (Split split : {Split::train, Split::validation, Split::test}) {
    EXPECT_EQ(d.split(split).values, again.split(split).values);
    EXPECT_EQ(d.split(split).labels, again.split(split).labels);
  }
  const SpamStats stats = spam_stats(c);
  EXPECT_EQ(stats.duplicate_inputs, 1);
  EXPECT_EQ(stats.conflicting_inputs, 0);
  EXPECT_EQ(stats.empty_bodies, 1);
  EXPECT_EQ(stats.empty_inputs, 0);
  EXPECT_EQ(stats.truncated, 1);  // the 600 x email of 604 bytes
  int64_t ham = 0, spam = 0;
  for (const auto& per_split : stats.counts) {
    ham += per_split[0];
    spam += per_split[1];
  }
  EXPECT_EQ(ham, 4);
  EXPECT_EQ(spam, 3);
}

TEST(SpamCorpusTest, SameInputWithBothLabelsIsCountedAsConflicting) {
  TempDir dir;
  make_corpus(dir.path());
  write_text(dir / "easy-ham-2" / "00008.hh.txt", "From: a friend\n" + kTwinText);
  const SpamStats stats = spam_stats(read_spam_corpus(dir.path()));
  EXPECT_EQ(stats.duplicate_inputs, 2);
  EXPECT_EQ(stats.conflicting_inputs, 1);
}

TEST(SpamCorpusTest, MissingFoldersAreNamedWithHowToGetThem) {
  TempDir dir;
  expect_error([&] { read_spam_corpus(dir / "nowhere"); },
               {(dir / "nowhere").string(), "scripts/setup.sh"});
  make_corpus(dir.path());
  fs::remove_all(dir / "hard-ham-1");
  expect_error([&] { read_spam_corpus(dir.path()); },
               {(dir / "hard-ham-1").string(), "scripts/setup.sh"});
  for (const SpamGroup& g : kSpamGroups) {
    fs::remove_all(dir / g.folder);
    fs::create_directories(dir / g.folder);
  }
  expect_error([&] { read_spam_corpus(dir.path()); }, {dir.path().string(), "no readable email"});
  TempDir empty;
  expect_error([&] { load_task("spam", empty.path()); },
               {(empty / "spam").string(), "scripts/setup.sh"});
}

TEST(SpamCorpusTest, UnreadableEmailIsNamedOrSkippedAndCounted) {
  TempDir dir;
  make_corpus(dir.path());
  // A folder named like an email: opening succeeds, reading fails, for root too.
  fs::create_directories(dir / "spam-1" / "00009.ii.txt");
  expect_error([&] { read_spam_corpus(dir.path()); },
               {(dir / "spam-1" / "00009.ii.txt").string(), "cannot", "--skip-bad"});
  const SpamCorpus c = read_spam_corpus(dir.path(), true);
  EXPECT_EQ(c.skipped, 1);
  ASSERT_EQ(c.skipped_files.size(), 1u);
  EXPECT_NE(c.skipped_files[0].find("00009.ii.txt"), std::string::npos);
  EXPECT_EQ(c.emails.size(), 7u);
  LoadOptions skip;
  skip.skip_bad = true;
  fs::create_directories(dir / "spam");
  for (const SpamGroup& g : kSpamGroups) fs::rename(dir / g.folder, dir / "spam" / g.folder);
  EXPECT_EQ(load_task("spam", dir.path(), skip)->split(Split::train).steps, 256);
}

TEST(SpamCorpusTest, RegistryHasBothEncodingsOnOneFolder) {
  TempDir dir;
  make_corpus(dir.path());  // --data naming the corpus folder itself
  for (const char* name : {"spam", "spam-bytes"}) {
    const TaskInfo& task = find_task(name);
    EXPECT_EQ(task.data_subdir, "spam");
    EXPECT_TRUE(task_data_present(task, dir.path())) << name;
    EXPECT_EQ(task_data_dir(task, dir.path()), dir.path());
    EXPECT_NE(task.how_to_get.find("setup.sh"), std::string::npos);
  }
  const std::unique_ptr<Dataset> bytes = load_task("spam-bytes", dir.path());
  EXPECT_EQ(bytes->name(), "spam-bytes");
  EXPECT_EQ(bytes->steps(), 512);
  EXPECT_EQ(bytes->vocabulary(), 257);
  const std::unique_ptr<Dataset> words = load_task("spam", dir.path());
  EXPECT_EQ(words->name(), "spam");
  EXPECT_EQ(words->steps(), 256);
  EXPECT_EQ(words->vocabulary(), 4096);
}

// The real corpus, as scripts/setup.sh fetches it into data/spam.
TEST(SpamCorpusTest, RealCorpusCountsAndSplits) {
  const fs::path dir = fs::path(MPGRU_TEST_DATA_DIR) / "spam";
  if (!fs::exists(dir / kSpamGroups.back().folder)) {
    GTEST_SKIP() << dir << " absent: scripts/setup.sh fetches it";
  }
  const SpamCorpus c = read_spam_corpus(dir);
  ASSERT_EQ(c.emails.size(), 6046u);
  std::map<std::string, int64_t> per_group;
  for (const SpamEmail& e : c.emails) ++per_group[e.group];
  for (const SpamGroup& g : kSpamGroups) EXPECT_EQ(per_group[g.folder], g.emails) << g.folder;
  for (SpamOptions o :
       {SpamOptions{SpamTokens::bytes, 512, 4096}, SpamOptions{SpamTokens::words, 256, 4096}}) {
    const SpamStats s = spam_stats(c, o);
    int64_t per_class[2] = {}, per_split[3] = {};
    for (int split = 0; split < 3; ++split) {
      for (int label = 0; label < 2; ++label) {
        per_class[label] += s.counts[split][label];
        per_split[split] += s.counts[split][label];
      }
    }
    EXPECT_EQ(per_class[0], 4150);
    EXPECT_EQ(per_class[1], 1896);
    // 60/20/20 up to hash noise and duplicates, which move together (sd of a 20 % share ~0.5 pp).
    EXPECT_NEAR(static_cast<double>(per_split[0]) / 6046, 0.6, 0.03);
    EXPECT_NEAR(static_cast<double>(per_split[1]) / 6046, 0.2, 0.02);
    EXPECT_NEAR(static_cast<double>(per_split[2]) / 6046, 0.2, 0.02);
    std::cout << (o.tokens == SpamTokens::bytes ? "bytes" : "words") << " x " << o.length
              << ": train " << s.counts[0][0] << "/" << s.counts[0][1] << ", validation "
              << s.counts[1][0] << "/" << s.counts[1][1] << ", test " << s.counts[2][0] << "/"
              << s.counts[2][1] << " (ham/spam); " << s.duplicate_inputs
              << " duplicate inputs kept with their twin, " << s.conflicting_inputs
              << " inputs both ham and spam, " << s.truncated << " truncated, " << s.empty_bodies
              << " empty bodies, " << s.empty_inputs << " empty inputs; median "
              << s.median_text_bytes << " bytes, " << s.median_words << " words\n";
    const InMemoryDataset d = spam_dataset(c, o);
    EXPECT_EQ(d.split(Split::train).count(), per_split[0]);
  }
}

}  // namespace
}  // namespace mpgru::data
