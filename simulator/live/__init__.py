"""Live traffic: the model beside real Linux TCP (probe, capture, live, the pytest plugin).

Everything here sends packets only on a loopback interface or inside a network
namespace that tcpsim itself made and deletes again (``namespace.Namespace``).
This is the edge of the project: it depends on the core, never the reverse.
"""
