import FaceletHTTP
import FaceletPackage
import FaceletStore
import Foundation

extension RegistryHandler {
    // MARK: - POST /v1/publish

    /// Reads the streamed package file, checks its signature headers, publishes it in one
    /// store transaction and says what happened (201, 200 when already present).
    func publish(_ request: HTTPRequest) -> HTTPResponse {
        guard let sink = request.sink as? HTTPFileSink else {
            return .failure(500, RegistryErrorCode.internalError, "the upload was not kept")
        }
        // The upload is spent once this returns: remove it before answering, so a client that
        // has its answer never sees the file (the request's end removes it again, harmlessly).
        defer { sink.end() }
        guard sink.finish() else {
            return .failure(500, RegistryErrorCode.uploadFailed,
                            "the server could not store the upload ("
                                + (sink.writeFailure ?? "unknown error") + ")")
        }
        var signatures: [SignatureRecord] = []
        // One header line per signature, or several in one line separated by commas (how
        // HTTP folds repeated headers; base64 has no commas).
        let values = request.head.values(ofHeader: "facelet-signature")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        for value in values {
            do {
                signatures.append(try SignatureRecord(headerValue: value))
            } catch {
                return .failure(422, error.code.rawValue,
                                "a Facelet-Signature header is refused: \(error.message)")
            }
        }
        let package: Package
        do {
            package = try PackageReader.read(contentsOf: URL(fileURLWithPath: sink.path))
        } catch {
            return .failure(422, error.code.rawValue,
                            "the package is refused: \(RegistryHandler.describe(error))")
        }
        do {
            let outcome = try publisher.publish(package, signatures: signatures)
            if !outcome.alreadyPresent || !signatures.isEmpty { watcher.poke() }
            let document = PublishDocument(reference: outcome.reference,
                                           digest: outcome.digest.description,
                                           alreadyPresent: outcome.alreadyPresent)
            return .document(outcome.alreadyPresent ? 200 : 201, document)
        } catch {
            return RegistryHandler.response(for: error)
        }
    }

    /// A reader error's message with its context except the upload's temporary path.
    static func describe(_ error: PackageError) -> String {
        let details = error.context.filter { $0.key != "file.path" }
            .sorted { $0.key < $1.key }.map { "\($0.key) \"\($0.value.prefix(120))\"" }
        return details.isEmpty ? error.message
            : error.message + " (" + details.joined(separator: ", ") + ")"
    }
}
