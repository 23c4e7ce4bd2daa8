"""FairnessCheck: error-rate gaps between slices; withholds the blessing on a blocking breach."""
