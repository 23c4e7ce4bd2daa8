"""The project's TFX components, one folder each, and the readers of the standard ones.

Each custom component's folder holds its spec, executor and component class,
its pure decision logic and its artifact types; the Evaluator's folder holds
its configuration and the reader of its results.
"""
