"""LTI 1.3 tool: login initiation, launch, deep linking, roster and grade passback."""
