//! Web pages: admin. (Tests are added with the pages.)
