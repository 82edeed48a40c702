"""Accounts and sign-in: the user model (e-mail is the login ID), password rules, login/logout."""
