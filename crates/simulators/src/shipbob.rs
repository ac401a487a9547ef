//! shipbob simulator — to be built in its issue.
