package pkg

// A cites docs/a.md section 1 and docs/a.md sections 2.1 and 9, and
// section 2 of docs/a.md.
// B cites docs/a.md
// section 4, across lines, and the section 3 of nothing.
// C cites docs/a.md section 7a.
// D cites docs/missing.md.
// E cites a.md section 1, a bare name outside docs/.
