"""The auditor's tools: verify the logs, replay any moment, draw and export the round."""
