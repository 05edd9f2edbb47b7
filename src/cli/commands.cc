// What every command shares, in both binaries (fungible and fungible-mpi).
#include "cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/exit_codes.h"
#include "util/csv.h"
#include "util/text.h"
#include "util/time.h"

namespace fungible::cli {

int ReportError(const Status& st) {
  if (st.diagnostics().empty()) {
    std::fprintf(stderr, "fungible: %s\n", st.ToString().c_str());
  } else {
    std::fprintf(stderr, "%s\nfungible: %s\n", st.ToString().c_str(), st.message().c_str());
  }
  return ExitCodeFor(st);
}

namespace {

// Options that changed name, so that one word has one meaning across commands
// and the API (docs/cli.md, "One word, one meaning"). The old spelling is
// refused with the new one.
struct Renamed {
  const char* command;  // "serve", "export kueue"
  const char* old_name;
  const char* hint;
  // The name is still an option with another meaning; the old one is told by
  // its value, a bare number ("--period 3": an index, now --period-index).
  bool bare_number = false;
};
constexpr const char* kQuotas =
    "the quota plan is now '--quotas FILE' ('plan' is the procurement plan of `fungible plan`)";
constexpr const char* kWindow = "the window length is now '--window 168h' or '--window 7d' (a duration)";
constexpr const char* kPeriod = "the period length is now '--period 4h' (a duration)";
constexpr Renamed kRenamed[] = {
    {"serve", "--plan", kQuotas},
    {"export kueue", "--plan", kQuotas},
    {"allocate", "--hours", kWindow},
    {"serve", "--hours", kWindow},
    {"export kueue", "--hours", kWindow},
    {"serve", "--period-hours", kPeriod},
    {"export kueue", "--period-hours", kPeriod},
    {"export kueue", "--period",
     "a period index is now '--period-index N'; '--period' is a length such as 4h", true},
    {"backtest", "--horizon-days", "the horizons are now '--horizons 1d,7d,max' (durations)"},
    {"simulate", "--days",
     "a run of days is now '--length 14d' (a duration; '--months N' counts calendar months)"},
    {"report", "--figures",
     "the figures document is now '--json FILE' (or '-' for stdout), as every command's JSON"},
};

std::string Quoted(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i)
    out += (i > 0 ? (i + 1 == words.size() ? " or " : ", ") : "") + ("'" + words[i] + "'");
  return out;
}

int UsageError(const std::string& where, const std::string& message, const std::string& help) {
  std::fprintf(stderr, "%s: %s\nRun '%s --help' for the list.\n", where.c_str(), message.c_str(),
               help.c_str());
  return kExitUsage;
}

}  // namespace

std::optional<int> CheckWords(CLI::App& app, int argc, const char* const* argv) {
  CLI::App* cur = &app;
  std::string path;  // subcommands so far: "export kueue"
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") break;
    const std::string where = "fungible" + (path.empty() ? "" : " " + path);
    const auto subcommands = cur->get_subcommands([](CLI::App* sub) { return !sub->get_name().empty(); });
    const bool is_option = arg.size() > 1 && arg[0] == '-' &&
                           (arg[1] == '-' || std::isalpha(static_cast<unsigned char>(arg[1])) != 0);
    if (!is_option) {
      if (subcommands.empty()) continue;  // a positional argument or an option's value
      const auto sub = std::find_if(subcommands.begin(), subcommands.end(),
                                    [&](CLI::App* c) { return c->check_name(arg); });
      if (sub != subcommands.end()) {
        cur = *sub;
        path += (path.empty() ? "" : " ") + arg;
        continue;
      }
      std::vector<std::string> names;
      for (const CLI::App* sub : subcommands) names.push_back(sub->get_name());
      const auto near = SuggestClosest(arg, names);
      return UsageError(
          where,
          "unknown command '" + arg + "'" + (near.empty() ? "" : "; did you mean " + Quoted(near) + "?"),
          where);
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (arg[1] != '-' && arg.size() > 2) continue;  // -ofile: CLI11 splits it
    const std::string value = eq != std::string::npos ? arg.substr(eq + 1) : i + 1 < argc ? argv[i + 1] : "";
    const bool bare_number = !value.empty() && std::all_of(value.begin(), value.end(),
                                                           [](char c) { return c >= '0' && c <= '9'; });
    const bool known = cur->get_option_no_throw(name) != nullptr;
    for (const Renamed& r : kRenamed)
      if (path == r.command && name == r.old_name && (r.bare_number ? known && bare_number : !known))
        return UsageError(where, "option '" + name + "' was renamed: " + r.hint, where);
    if (known) continue;
    std::vector<std::string> names;
    for (const CLI::Option* o : cur->get_options()) {
      for (const auto& l : o->get_lnames()) names.push_back("--" + l);
      for (const auto& s : o->get_snames()) names.push_back("-" + s);
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    const auto near = SuggestClosest(name, names);
    return UsageError(
        where, "unknown option '" + name + "'" + (near.empty() ? "" : "; did you mean " + Quoted(near) + "?"),
        where);
  }
  return std::nullopt;
}

CLI::Option* AddJsonOption(CLI::App* cmd, std::string& path, const std::string& what) {
  return cmd
      ->add_option("--json", path,
                   "Write " + what + " as JSON to FILE ('-' = stdout, which then holds only the JSON)")
      ->type_name("FILE|-");
}

CLI::Option* AddCsvOption(CLI::App* cmd, std::string& dir, const std::string& files) {
  return cmd->add_option("--csv", dir, "Write " + files + " into DIR (RFC 4180 CSV)")->type_name("DIR");
}

CLI::Option* AddQuietFlag(CLI::App* cmd, bool& quiet) {
  return cmd->add_flag("--quiet", quiet, "No progress and no timing lines on stderr");
}

std::vector<std::pair<std::string, std::string>> FilesIn(const std::string& flag, const std::string& dir,
                                                         const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::string>> out;
  if (dir.empty()) return out;
  for (const auto& n : names) out.emplace_back(flag, (std::filesystem::path(dir) / n).string());
  return out;
}

Status CheckOutputsAreNotInputs(const std::vector<std::pair<std::string, std::string>>& inputs,
                                const std::vector<std::pair<std::string, std::string>>& outputs) {
  namespace fs = std::filesystem;
  auto same = [](const std::string& a, const std::string& b) {
    std::error_code ec;
    if (fs::exists(a, ec) && fs::exists(b, ec)) return fs::equivalent(a, b, ec);
    return fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
  };
  for (const auto& [flag, out] : outputs) {
    if (out.empty() || out == "-") continue;
    for (const auto& [what, in] : inputs)
      if (!in.empty() && in != "-" && same(out, in))
        return Status::Invalid(flag + " " + out + ": is " + what +
                               ", an input of this command; refusing to write over it");
  }
  return Status::Ok();
}

namespace {

// A row's cells by column name; a nested object's fields as "key.field".
void Flatten(const nlohmann::ordered_json& value, const std::string& name,
             std::vector<std::pair<std::string, std::string>>& cells) {
  if (value.is_object()) {
    for (const auto& [key, v] : value.items()) Flatten(v, name.empty() ? key : name + "." + key, cells);
  } else if (value.is_null()) {
    cells.emplace_back(name, "");
  } else if (value.is_string()) {
    cells.emplace_back(name, value.get<std::string>());
  } else {
    cells.emplace_back(name, value.dump());
  }
}

}  // namespace

Status WriteJsonRowsCsv(const std::string& path, const nlohmann::ordered_json& rows) {
  std::vector<std::string> header;
  std::vector<std::vector<std::pair<std::string, std::string>>> flat;
  for (const auto& row : rows) {
    flat.emplace_back();
    Flatten(row, "", flat.back());
    for (const auto& [name, cell] : flat.back())
      if (std::find(header.begin(), header.end(), name) == header.end()) header.push_back(name);
  }
  std::string out = CsvRecord(header);
  for (const auto& cells : flat) {
    std::vector<std::string> fields(header.size());
    for (const auto& [name, cell] : cells)
      fields[static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin())] = cell;
    out += CsvRecord(fields);
  }
  return WriteTextFile(path, out);
}

Status MakeDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Invalid(dir + ": cannot create directory: " + ec.message());
  return Status::Ok();
}

StatusOr<int> DurationHours(const std::string& flag, const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
    return Status::Invalid(flag + ": a duration is written with its unit (" + text + "h, " + text +
                           "d), got " + text);
  StatusOr<std::int64_t> s = ParseDurationSeconds(text);
  if (!s.ok()) return s.status().WithContext(flag);
  if (*s % kSecondsPerHour != 0)
    return Status::Invalid(flag + ": must be a whole number of hours (4h, 1d), got " + text);
  return static_cast<int>(*s / kSecondsPerHour);
}

Progress::Progress(std::string command, bool quiet)
    : command_(std::move(command)), on_(!quiet && ::isatty(STDERR_FILENO) != 0) {}

Progress::~Progress() { Clear(); }

void Progress::Show(const std::string& what) {
  if (!on_) return;
  std::fprintf(stderr, "\r\033[Kfungible %s: %s", command_.c_str(), what.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void Progress::Clear() {
  if (!shown_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  shown_ = false;
}

Status WriteTextFile(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Invalid(path + ": cannot open for writing");
  out << text;
  out.close();
  if (!out) return Status::Internal(path + ": write failed");
  return Status::Ok();
}

}  // namespace fungible::cli
