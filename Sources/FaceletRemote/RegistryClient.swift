import FaceletPackage
import FaceletStore
import Foundation

/// A remote registry's API as typed calls: the index, checked version documents, blob
/// downloads and `publish --to` uploads (docs/remote.md, "HTTP API").
///
/// Talks HTTP(S) through libcurl, or reads a mirror folder directly for `file://` locations.
/// Not thread-safe: use one client from one thread at a time (it owns one libcurl handle,
/// whose connection is reused across requests).
public final class RegistryClient {
    /// Where the registry is.
    public var location: RemoteLocation { transport.location }
    let transport: any RegistryTransport

    /// The largest index or version document accepted.
    static let documentLimit = 64 << 20

    /// A client for `location`.
    /// - Parameters:
    ///   - token: The bearer token for HTTP(S) remotes (nil or empty: none is sent).
    ///   - tokenVariable: The environment variable the token came from, named in hints.
    /// - Throws: `RemoteError` `.connection` when libcurl cannot make a handle.
    public init(location: RemoteLocation, token: String? = nil,
                tokenVariable: String = "FACELET_TOKEN") throws(RemoteError) {
        switch location {
        case .http(let base):
            transport = try HTTPTransport(base: base, token: token, tokenVariable: tokenVariable)
        case .directory(let path):
            transport = DirectoryTransport(root: path)
        }
    }

    // MARK: - Reads

    /// `GET /v1/index`.
    /// - Throws: `RemoteError` (`.notFound` when the location is no registry, `.badResponse`
    ///   when the index does not decode or has another format).
    public func index() throws(RemoteError) -> RegistryIndex {
        let data = try transport.fetch(RegistryPaths.index, limit: Self.documentLimit)
        let index: RegistryIndex
        do {
            index = try RegistryJSON.decode(RegistryIndex.self, from: data)
        } catch {
            throw RemoteError(.badResponse,
                              "\(location)'s index is not a facelet-index/1 document: "
                                  + Self.describe(error),
                              url: location.url(RegistryPaths.index))
        }
        guard index.format == RegistryIndex.currentFormat else {
            let format = RemoteLocation.printable(index.format)
            throw RemoteError(.badResponse,
                              "\(location)'s index has format '\(format)', not "
                                  + "\(RegistryIndex.currentFormat); upgrade facelet-registry",
                              url: location.url(RegistryPaths.index))
        }
        return index
    }

    /// `GET /v1/versions/sha256/<hex>`, checked: the document must be of `digest`, its
    /// manifest must decode and validate and agree with the document's fields and tensor
    /// list, every tensor's size must fit its shape, and the content digest recomputed from
    /// `manifest_json` and the tensor list must be `digest`.
    /// - Throws: `RemoteError` `.digestMismatch`, `.badResponse`, `.notFound`, ….
    public func versionDocument(_ digest: Digest) throws(RemoteError) -> VersionDocument {
        let path = RegistryPaths.versionDocument(digest)
        let url = location.url(path)
        let data = try transport.fetch(path, limit: Self.documentLimit)
        let document: VersionDocument
        do {
            document = try RegistryJSON.decode(VersionDocument.self, from: data)
        } catch {
            throw RemoteError(.badResponse,
                              "the version document of \(digest) does not decode: "
                                  + Self.describe(error), url: url, digest: digest.description)
        }
        try VersionCheck.check(document, digest: digest, url: url)
        return document
    }

    /// Downloads blob `digest` of `size` bytes into `partialDirectory` (resuming a `.part`
    /// left there unless `resume` is false) and verifies it.
    /// - Parameter onBytes: Called with each received piece's byte count.
    /// - Returns: The path of the verified (not yet fsynced) `.part` and how many bytes were
    ///   already there.
    /// - Throws: `RemoteError`; a `.part` that fails verification is deleted, one cut off by a
    ///   broken connection is kept for the next pull to resume.
    func download(blob digest: Digest, size: Int64, partialDirectory: String, resume: Bool,
                  onBytes: ((Int) -> Void)?) throws(RemoteError) -> (path: String, reused: Int64) {
        let path = RegistryPaths.blob(digest)
        let partial = try PartialDownload(directory: partialDirectory, digest: digest,
                                          expectedSize: size, url: location.url(path),
                                          resume: resume)
        partial.onAppend = onBytes
        if partial.size < size {
            do {
                try transport.download(path, into: partial)
            } catch {
                // Bytes that cannot belong to the blob are no use to a later resume, and an
                // empty .part (the answer was refused before its first byte) helps nobody.
                if error.code == .blobMismatch || partial.size == 0 { partial.discard() }
                throw error
            }
        }
        return (try partial.finish(), partial.resumedFrom)
    }

    // MARK: - Publish

    /// What the remote said to `publish --to`.
    public struct PublishAnswer: Sendable, Equatable {
        /// `name:version` as the remote stored it.
        public var reference: String
        /// The content digest.
        public var digest: Digest
        /// True when the remote already held exactly this content.
        public var alreadyPresent: Bool
    }

    /// `POST /v1/publish`: uploads the package file at `path` (streamed, not read into memory)
    /// with one `Facelet-Signature` header per signature.
    /// - Throws: `RemoteError` from the server's answer: `.unauthorized` (401), `.forbidden`
    ///   (403), `.conflict` (409), `.tooLarge` (413), `.invalidPackage` (422),
    ///   `.backboneMissing` (424); `.badRemote` for a mirror folder, which takes no uploads.
    public func publish(file path: String, signatures: [SignatureRecord],
                        onSent: ((Int64) -> Void)? = nil) throws(RemoteError) -> PublishAnswer {
        guard let http = transport as? HTTPTransport else {
            throw RemoteError(.badRemote,
                              "\(location) is a mirror folder; publish to an HTTP registry "
                                  + "(`serve`), or publish locally and run `mirror` again")
        }
        let (status, body) = try http.upload(file: path, signatures: signatures.map(\.headerValue),
                                             onSent: onSent)
        struct Answer: Decodable {
            var reference: String
            var digest: Digest
            var alreadyPresent: Bool
            enum CodingKeys: String, CodingKey {
                case reference, digest
                case alreadyPresent = "already_present"
            }
        }
        guard status == 200 || status == 201,
              let answer = try? JSONDecoder().decode(Answer.self, from: body) else {
            throw RemoteError(.badResponse,
                              "the remote answered the upload with HTTP \(status) and no "
                                  + "publish result", url: location.url("v1/publish"),
                              status: status)
        }
        return PublishAnswer(reference: answer.reference, digest: answer.digest,
                             alreadyPresent: answer.alreadyPresent)
    }

    /// A decoding error as a short phrase naming the JSON path (`DecodingProblem`).
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        return DecodingProblem.describe(error)
    }
}
