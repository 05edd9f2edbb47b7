#include "spec/yaml_load.h"

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>
#include <vector>

namespace fungible::spec_internal {
namespace {

SourceLoc LocOfMark(const YAML::Mark& m) {
  if (m.line < 0 || m.column < 0) return SourceLoc{};
  return SourceLoc{m.line + 1, m.column + 1};
}

Status Located(const std::string& file, SourceLoc loc, std::string message) {
  Diagnostic d;
  d.file = file;
  d.line = loc.line;
  d.column = loc.column;
  d.message = std::move(message);
  return Status::FromDiagnostics({std::move(d)});
}

// Counts documents and nodes from yaml-cpp's events; builds nothing.
class EventCounter : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> document_starts;
  std::size_t nodes = 0;  // aliases count as the nodes they stand for
  bool too_many = false;
  YAML::Mark too_many_at;

  void OnDocumentStart(const YAML::Mark& mark) override { document_starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Add(mark, anchor < sizes_.size() ? sizes_[anchor] : 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    Leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  void Add(const YAML::Mark& mark, std::size_t n) {
    // Saturates: past the limit the count only has to stay past it.
    nodes = std::min(nodes + n, kMaxSpecNodes + 1);
    if (nodes > kMaxSpecNodes && !too_many) {
      too_many = true;
      too_many_at = mark;
    }
  }
  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Add(mark, 1);
    Record(anchor, 1);
  }
  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Add(mark, 1);
    open_.emplace_back(anchor, nodes - 1);
  }
  void Close() {
    if (open_.empty()) return;
    auto [anchor, before] = open_.back();
    open_.pop_back();
    Record(anchor, nodes - before);
  }
  void Record(YAML::anchor_t anchor, std::size_t size) {
    if (anchor == YAML::NullAnchor) return;
    if (anchor >= sizes_.size()) sizes_.resize(anchor + 1, 1);
    sizes_[anchor] = size;
  }

  std::vector<std::pair<YAML::anchor_t, std::size_t>> open_;  // open collections: anchor, count before
  std::vector<std::size_t> sizes_;                            // nodes under each anchor
};

}  // namespace

StatusOr<YAML::Node> LoadOneDocument(const std::string& text, const std::string& name) {
  if (text.size() > kMaxSpecBytes)
    return Located(name, SourceLoc{},
                   "the file has " + std::to_string(text.size()) + " bytes, more than the " +
                       std::to_string(kMaxSpecBytes) + " a spec may have");
  EventCounter counter;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    // Each document must start past the one before; yaml-cpp 0.7 starts
    // empty documents at a stray ',' forever (see yaml_load.h).
    while (parser.HandleNextDocument(counter)) {
      const auto& starts = counter.document_starts;
      if (starts.size() >= 2 && starts.back().pos <= starts[starts.size() - 2].pos) {
        const YAML::Mark& at = starts.back();
        const bool comma =
            at.pos >= 0 && static_cast<std::size_t>(at.pos) < text.size() && text[at.pos] == ',';
        return Located(name, LocOfMark(at),
                       comma ? "invalid YAML: unexpected ',' (a comma separates items only inside [ ] or { })"
                             : "invalid YAML: unexpected text after the document");
      }
      if (counter.too_many) break;
    }
  } catch (const YAML::Exception& e) {
    return Located(name, LocOfMark(e.mark), "invalid YAML: " + e.msg);
  }
  if (counter.too_many)
    return Located(name, LocOfMark(counter.too_many_at),
                   "the document holds more than " + std::to_string(kMaxSpecNodes) +
                       " values (aliases counted as the values they repeat)");
  if (counter.document_starts.size() > 1)
    return Located(name, LocOfMark(counter.document_starts[1]),
                   "expected one YAML document, got " + std::to_string(counter.document_starts.size()) +
                       " (remove the '---' separator)");
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Located(name, LocOfMark(e.mark), "invalid YAML: " + e.msg);
  }
}

Status ReadSpecFile(const std::string& path, std::string& text) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    return Status::Invalid(path + ": is a directory, not a fleet spec");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open for reading");
  // One byte more than allowed tells a file at the limit from one above it
  // (pipes and /dev files have no size to ask for).
  text.assign(kMaxSpecBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return Status::Internal(path + ": read failed");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxSpecBytes)
    return Status::Invalid(path + ": larger than " + std::to_string(kMaxSpecBytes) +
                           " bytes, the most a spec may have");
  return Status::Ok();
}

}  // namespace fungible::spec_internal
