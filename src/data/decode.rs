//! Text decoding: UTF-8 (with or without a BOM) and GB18030/GBK, declared or detected.

use super::Encoding;
use std::borrow::Cow;

/// Decode file bytes to text. Errors say which encoding was tried.
pub fn decode(bytes: &[u8], enc: Encoding) -> Result<Cow<'_, str>, String> {
    let utf8 = || -> Result<Cow<'_, str>, String> {
        let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        std::str::from_utf8(b).map(Cow::Borrowed).map_err(|e| {
            format!(
                "the file is not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            )
        })
    };
    let gb = || -> Result<Cow<'_, str>, String> {
        let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
        if had_errors {
            Err("the file is neither valid UTF-8 nor valid GBK/GB18030".to_string())
        } else {
            Ok(text)
        }
    };
    match enc {
        Encoding::Utf8 => utf8(),
        Encoding::Gbk | Encoding::Gb18030 => gb(),
        Encoding::Auto => utf8().or_else(|_| gb()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_gbk_and_bom() {
        let (gbk, _, _) = encoding_rs::GBK.encode("村名,齐山镇\n");
        assert_eq!(decode(&gbk, Encoding::Auto).unwrap(), "村名,齐山镇\n");
        let bom = b"\xEF\xBB\xBFid\n";
        assert_eq!(decode(bom, Encoding::Auto).unwrap(), "id\n");
        assert!(decode(&[0xff, 0xff, 0xff], Encoding::Utf8).is_err());
    }
}
