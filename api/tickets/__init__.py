"""Requests (tickets): created from voicemails, agents' dispositions and the web portal; deadlines in business
hours; complaints archived unchangeably; reports for the ministry."""
