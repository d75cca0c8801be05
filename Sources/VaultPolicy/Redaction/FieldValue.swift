/// A field value as the vault holds it after decryption: text, or a list of texts (consent, serials, ...).
public enum FieldValue: Sendable, Hashable {
    case text(String)
    case list([String])
}
