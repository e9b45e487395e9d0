//! Provenance: the command that made a model, written into its manifest and report so that a reader can paste it
//! back into a shell. Arguments such as `--license "… the 4Q set's clips …"` hold quotes and spaces, so each is
//! quoted the way a POSIX shell reads it back (by `shlex`, not by hand).

/// The running command, with the binary called by its name (not its build path).
pub fn command_line() -> String {
    shell_words(std::iter::once("earmark-train".to_string()).chain(std::env::args().skip(1)))
}

/// `args` joined into one line a POSIX shell splits back into the same arguments.
pub fn shell_words(args: impl IntoIterator<Item = String>) -> String {
    args.into_iter()
        .map(|a| match shlex::try_quote(&a) {
            Ok(q) => q.into_owned(),
            // Only a NUL byte fails to quote; no process argument can hold one.
            Err(_) => a.replace('\0', ""),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The licence argument that broke the first 4Q reports' command (`'… set's clips …'` reads as two words
    /// and an open quote) splits back into exactly the arguments given.
    #[test]
    fn quoted_commands_split_back_into_their_arguments() {
        let args: Vec<String> = [
            "earmark-train",
            "--license",
            "research use only: the 4Q set's clips (AllMusic previews), \"for research\"",
            "--out",
            "models/genre",
            "",
            "a$b`c",
        ]
        .map(String::from)
        .to_vec();
        let line = shell_words(args.clone());
        assert_eq!(shlex::split(&line).unwrap(), args, "{line}");
        assert!(line.starts_with("earmark-train --license "), "{line}");
        assert!(line.contains(" --out models/genre "), "plain words stay unquoted: {line}");
    }
}
