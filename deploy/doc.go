// Package deploy holds no code: its tests check the deployment files beside
// them (the Kubernetes manifests, the Dockerfile and the systemd unit)
// against the API types and what kamobot expects of them.
package deploy
