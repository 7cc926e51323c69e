// cmd/controller/trim.h
//
// Informer transforms for the controller: each keeps only the fields of an
// object that the controller reads (Reconciler through k8s::*::FromJson, and
// Event references), so the informer caches do not hold the rest of every
// Service and EndpointSlice. A field the controller starts to read must be
// added here; trim_test checks that a trimmed object parses the same.

#ifndef LB_CMD_CONTROLLER_TRIM_H_
#define LB_CMD_CONTROLLER_TRIM_H_

#include "lib/k8s/json.h"

namespace lb::controller {

// Keeps apiVersion, kind, metadata's identity and MetalLB's annotations, the
// spec fields allocation reads, ports' protocol and port, and
// status.loadBalancer.
void TrimService(k8s::json& service);

// Keeps apiVersion, kind, metadata's identity and the service-name label, and
// each endpoint's conditions and nodeName.
void TrimEndpointSlice(k8s::json& slice);

}  // namespace lb::controller

#endif  // LB_CMD_CONTROLLER_TRIM_H_
