import Vault

/// The metadata extractor used by `ingest`: the key-less sandboxed child process. Until the imaging module
/// provides it, no metadata is extracted.
enum SandboxedMetadata {
    static func extractor() -> (any MetadataExtracting)? { nil }
}
