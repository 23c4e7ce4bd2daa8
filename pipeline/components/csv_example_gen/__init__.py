"""CsvExampleGen with missing-value tokens: cells like `NA` become missing, as empty cells do."""
