//! Data-entry workbooks: templates made from the rule set (one sheet per table it reads, only
//! the columns it reads, validated as the rules declare), and the returned workbooks read back
//! into the same tables the CSV path reads, every problem located to file, sheet, row and column.

pub mod layout;
pub mod read;
pub mod source;
pub mod write;

/// The hidden sheet that marks a workbook as a bangfu template and records its layout.
pub const MARKER_SHEET: &str = "_bangfu";
/// The first cell of the marker sheet.
pub const MARKER_TAG: &str = "bangfu-form";
/// The layout version the marker records; a workbook of another version is refused.
pub const LAYOUT_VERSION: &str = "1";
/// The hidden sheet of a template made with `--data`: the rows it was sent with (sheet, id),
/// the only rows it may come back with.
pub const ROWS_SHEET: &str = "_bangfu_rows";
/// The sheet explaining every column.
pub const GUIDE_SHEET: &str = "填表说明";
/// Rows above the data: the headings (label and unit), then the machine names.
pub const HEADER_ROWS: u32 = 2;
