# The CUDA backend, mdlfast._cuda. Included by CMakeLists.txt only when a CUDA compiler is found.
#
# The CUDA runtime is linked statically: the module then loads on machines without a GPU or a
# CUDA installation (device_info() simply reports no devices), and needs only the driver to run.

if(DEFINED ENV{MDLFAST_CUDA_ARCHS} AND NOT "$ENV{MDLFAST_CUDA_ARCHS}" STREQUAL "")
  set(_mdlfast_default_cuda_archs "$ENV{MDLFAST_CUDA_ARCHS}")
else()
  # A100 and H100; each also embeds PTX, which newer GPUs compile at load time.
  set(_mdlfast_default_cuda_archs "80;90")
endif()
set(MDLFAST_CUDA_ARCHS "${_mdlfast_default_cuda_archs}" CACHE STRING
    "GPU architectures of mdlfast._cuda, in CMAKE_CUDA_ARCHITECTURES syntax")
# Set before enable_language, which would otherwise probe for (and cache) a default of its own;
# every CUDA target takes its architectures from here.
set(CMAKE_CUDA_ARCHITECTURES "${MDLFAST_CUDA_ARCHS}")

enable_language(CUDA)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
set(CMAKE_CUDA_FLAGS_RELEASE "-O3 -DNDEBUG")

# Every kernel family adds its csrc/cuda/<family>.cu; the glob picks it up without a CMake edit.
file(GLOB _mdlfast_cuda_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/csrc/cuda/*.cu")
pybind11_add_module(_cuda csrc/bind/cuda_module.cpp ${_mdlfast_cuda_sources})
target_include_directories(_cuda PRIVATE csrc ${CMAKE_CUDA_TOOLKIT_INCLUDE_DIRECTORIES})
set_target_properties(_cuda PROPERTIES CUDA_RUNTIME_LIBRARY Static)
target_compile_options(_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
install(TARGETS _cuda LIBRARY DESTINATION mdlfast)
