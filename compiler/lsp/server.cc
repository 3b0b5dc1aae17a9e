#include "lsp/server.h"

#include <filesystem>

#include <fmt/format.h>

#include "driver/check.h"
#include "lsp/edits.h"
#include "lsp/json_rpc.h"
#include "lsp/navigation.h"

namespace sbx::lsp {

namespace {

constexpr int kMethodNotFound = -32601, kInvalidParams = -32602, kRequestFailed = -32803;
constexpr int kInvalidRequest = -32600;

struct Failure {
  int code;
  std::string message;
};

int severityOf(Severity s) {
  return s == Severity::Error ? 1 : s == Severity::Warning ? 2 : 3;
}

// What a diagnostic says besides its message, in the order `sbxc check` prints it.
std::string fullMessage(const Diagnostic& d) {
  std::string text = d.message;
  for (const auto& n : d.notes) text += "\nnote: " + n;
  for (const auto& h : d.helps) text += "\nhelp: " + h;
  return text;
}

const Document& documentOf(const std::map<std::string, Document>& documents, const nlohmann::json& params) {
  auto uri = params.at("textDocument").at("uri").get<std::string>();
  auto it = documents.find(uri);
  if (it == documents.end()) throw Failure{kInvalidParams, fmt::format("`{}` is not open", uri)};
  return it->second;
}

}  // namespace

int Server::run(std::FILE* in, std::FILE* out) {
  out_ = out;
  while (!exit_) {
    std::string error;
    auto message = readMessage(in, error);
    if (!message) {
      if (!error.empty()) std::fprintf(stderr, "sbxc lsp: %s\n", error.c_str());
      return 1;
    }
    if (auto response = handle(*message)) writeMessage(out_, *response);
  }
  return shutdown_ ? 0 : 1;
}

std::optional<nlohmann::json> Server::handle(const nlohmann::json& message) {
  bool request = message.contains("id");
  nlohmann::json response{{"jsonrpc", "2.0"}, {"id", request ? message["id"] : nullptr}};
  try {
    if (!message.contains("method") || !message["method"].is_string())
      throw Failure{kInvalidRequest, "a message without a method"};
    nlohmann::json params = message.value("params", nlohmann::json::object());
    response["result"] = dispatch(message["method"].get<std::string>(), params);
  } catch (const Failure& f) {
    response["error"] = {{"code", f.code}, {"message", f.message}};
  } catch (const nlohmann::json::exception& e) {
    response["error"] = {{"code", kInvalidParams}, {"message", fmt::format("malformed parameters: {}", e.what())}};
  }
  if (!request) return std::nullopt;  // a notification is never answered, not even its error
  return response;
}

nlohmann::json Server::dispatch(const std::string& method, const nlohmann::json& params) {
  if (method == "initialize")
    return {{"capabilities",
             {{"textDocumentSync", {{"openClose", true}, {"change", 1}}},  // full text on each change
              {"hoverProvider", true},
              {"completionProvider", {{"triggerCharacters", {"@", "."}}}},
              {"definitionProvider", true},
              {"documentFormattingProvider", true},
              {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}}}},
            {"serverInfo", {{"name", "sbxc"}}}};
  if (method == "initialized" || method == "$/cancelRequest" || method == "$/setTrace") return nullptr;
  if (method == "shutdown") {
    shutdown_ = true;
    return nullptr;
  }
  if (method == "exit") {
    exit_ = true;
    return nullptr;
  }
  if (shutdown_) throw Failure{kInvalidRequest, "the server is shutting down"};
  if (method == "textDocument/didOpen") {
    const auto& item = params.at("textDocument");
    Document d{item.at("uri").get<std::string>(), "", item.at("text").get<std::string>(), item.value("version", 0LL)};
    d.path = pathOfUri(d.uri);
    if (d.path.empty()) d.path = d.uri;
    documents_[d.uri] = d;
    check(d.uri);
    return nullptr;
  }
  if (method == "textDocument/didChange") {
    auto uri = params.at("textDocument").at("uri").get<std::string>();
    auto it = documents_.find(uri);
    if (it == documents_.end()) throw Failure{kInvalidParams, fmt::format("`{}` is not open", uri)};
    for (const auto& change : params.at("contentChanges")) {
      if (change.contains("range")) throw Failure{kInvalidParams, "only whole-document changes are accepted"};
      it->second.text = change.at("text").get<std::string>();
    }
    it->second.version = params.at("textDocument").value("version", it->second.version);
    check(uri);
    return nullptr;
  }
  if (method == "textDocument/didClose") {
    auto uri = params.at("textDocument").at("uri").get<std::string>();
    documents_.erase(uri);
    checked_.erase(uri);
    writeMessage(out_, {{"jsonrpc", "2.0"},
                        {"method", "textDocument/publishDiagnostics"},
                        {"params", {{"uri", uri}, {"diagnostics", nlohmann::json::array()}}}});
    return nullptr;
  }
  if (method == "textDocument/didSave") return nullptr;
  if (method == "textDocument/hover") {
    const Document& d = documentOf(documents_, params);
    return hover(d, checked_[d.uri].diagnostics, params.at("position"));
  }
  if (method == "textDocument/completion") return completion(documentOf(documents_, params), params.at("position"));
  if (method == "textDocument/definition") return definition(documentOf(documents_, params), params.at("position"));
  if (method == "textDocument/formatting") {
    auto edits = formatting(documentOf(documents_, params));
    if (!edits) throw Failure{kRequestFailed, "the document does not parse: it cannot be formatted"};
    return *edits;
  }
  if (method == "textDocument/codeAction") {
    const Document& d = documentOf(documents_, params);
    return codeActions(d, checked_[d.uri].diagnostics, params.at("range"));
  }
  if (method.starts_with("$/")) return nullptr;  // optional notifications
  throw Failure{kMethodNotFound, fmt::format("`{}` is not supported", method)};
}

void Server::check(const std::string& uri) {
  const Document& d = documents_.at(uri);
  frontend::Options options;
  options.textDirectory = std::filesystem::path(d.path).parent_path().string();
  frontend::Session session(options);
  classifier::Options lint{classifier::todayUtc()};
  driver::Checked found = driver::checkPolicy(session, d.path, &d.text, lint);
  Checked& out = checked_[uri];
  out = {};
  for (auto& diagnostic : found.diagnostics) {
    bool here = diagnostic.span.valid() && session.sources().file(diagnostic.span.file).path == d.path;
    nlohmann::json published{
        {"range",
         here ? rangeOf(d.text, diagnostic.span)
              : nlohmann::json{{"start", {{"line", 0}, {"character", 0}}}, {"end", {{"line", 0}, {"character", 0}}}}},
        {"severity", severityOf(diagnostic.severity)},
        {"code", diagnostic.id},
        {"source", "sbxc"},
        {"message", here ? fullMessage(diagnostic) : fmt::format("{} (in an imported file)", fullMessage(diagnostic))}};
    nlohmann::json related = nlohmann::json::array();
    for (const auto& label : diagnostic.labels)
      if (label.span.valid() && session.sources().file(label.span.file).path == d.path)
        related.push_back(
            {{"location", {{"uri", uri}, {"range", rangeOf(d.text, label.span)}}}, {"message", label.message}});
    if (!related.empty()) published["relatedInformation"] = related;
    out.published.push_back(published);
    if (!here) diagnostic.span = {};
    out.diagnostics.push_back(std::move(diagnostic));
  }
  writeMessage(out_, {{"jsonrpc", "2.0"},
                      {"method", "textDocument/publishDiagnostics"},
                      {"params", {{"uri", uri}, {"version", d.version}, {"diagnostics", out.published}}}});
}

}  // namespace sbx::lsp
