// dispatcher_stub.cpp - stands in for the AICPU dispatcher image: ptosim only checks it is an ELF file.
extern "C" int ptosim_test_dispatcher_marker(void) { return 0; }
