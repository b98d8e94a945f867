"""Analysis support of the tools: benchmark timing, score fusion, OFF figures."""
