// Command vcsim starts govmomi's vCenter/ESXi simulator for Snapferry's tests. Debian packages the
// simulator library but not its command, so the tests build this small one (test/support/vcsim.ts).
// It prints one JSON line, {"url": ...}, once it listens, and removes its datastores on SIGTERM.
package main

import (
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/simulator/esx"
	// vCenter's REST API (tags) for a vCenter model; jobs that follow a tag read it.
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of a vCenter")
	listen := flag.String("l", "127.0.0.1:0", "address to listen on")
	username := flag.String("username", "", "the only user name accepted (any when empty)")
	password := flag.String("password", "", "the only password accepted")
	certFile := flag.String("tlscert", "", "PEM certificate (Go's test certificate when empty)")
	keyFile := flag.String("tlskey", "", "PEM private key")
	// Model size, to test large sites; -1 keeps the model's default.
	datacenters := flag.Int("dc", -1, "datacenters (vCenter model only)")
	clusters := flag.Int("cluster", -1, "clusters per datacenter (vCenter model only)")
	clusterHosts := flag.Int("cluster-host", -1, "hosts per cluster (vCenter model only)")
	hosts := flag.Int("host", -1, "standalone hosts per datacenter (vCenter model only)")
	machines := flag.Int("vm", -1, "VMs per resource pool and per standalone host")
	pools := flag.Int("pool", -1, "child resource pools per cluster (vCenter model only)")
	folders := flag.Int("folder", -1, "datacenters placed in a folder, with their own sub-folders (vCenter model only)")
	flag.Parse()

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
	resize(&model.Datacenter, *datacenters)
	resize(&model.Cluster, *clusters)
	resize(&model.ClusterHost, *clusterHosts)
	resize(&model.Host, *hosts)
	resize(&model.Machine, *machines)
	resize(&model.Pool, *pools)
	resize(&model.Folder, *folders)
	if err := model.Create(); err != nil {
		fail(err)
	}
	model.Service.Listen = &url.URL{Host: *listen}
	if *username != "" {
		model.Service.Listen.User = url.UserPassword(*username, *password)
	}
	model.Service.TLS = new(tls.Config)
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			fail(err)
		}
		model.Service.TLS.Certificates = []tls.Certificate{cert}
	}
	model.Service.RegisterEndpoints = true
	server := model.Service.NewServer()

	// The URL carries the credentials; print it without them.
	public := *server.URL
	public.User = nil
	line, _ := json.Marshal(map[string]string{"url": public.String()})
	fmt.Println(string(line))

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
	server.Close()
	model.Remove()
}

func resize(field *int, value int) {
	if value >= 0 {
		*field = value
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "vcsim:", err)
	os.Exit(1)
}
