/// What sort of value a field holds; decides which field actions a profile may apply to it.
public enum FieldKind: String, Sendable, Hashable {
    /// Free text (names, numbers, references). keep, remove, pseudonymise.
    case text
    /// A date: ISO 8601 `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally with a time; or EXIF `YYYY:MM:DD hh:mm:ss`.
    /// keep, remove, generalise to `month` or `year`.
    case date
    /// A place name, components separated by commas (`,` or Arabic `،`), most specific first.
    /// keep, remove, pseudonymise, generalise to `region`.
    case place
    /// An age in whole years. keep, remove, generalise to a `range`. (No field of the version-1 records has
    /// this kind; the generaliser exists for records that add one.)
    case age
    /// A list of text values (consent names, serial numbers, sources); actions apply to each element.
    /// keep, remove, pseudonymise.
    case list
}
