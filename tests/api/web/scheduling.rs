//! Web pages: scheduling. (Tests are added with the pages.)
