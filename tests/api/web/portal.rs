//! Web pages: portal. (Tests are added with the pages.)
