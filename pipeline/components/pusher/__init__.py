"""The Pusher: atomic TF Serving versions with warmup requests and a model card."""
