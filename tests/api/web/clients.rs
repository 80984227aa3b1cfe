//! Web pages: clients. (Tests are added with the pages.)
