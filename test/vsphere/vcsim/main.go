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
)

func main() {
	esx := flag.Bool("esx", false, "simulate a standalone ESXi host instead of a vCenter")
	listen := flag.String("l", "127.0.0.1:0", "address to listen on")
	username := flag.String("username", "", "the only user name accepted (any when empty)")
	password := flag.String("password", "", "the only password accepted")
	certFile := flag.String("tlscert", "", "PEM certificate (Go's test certificate when empty)")
	keyFile := flag.String("tlskey", "", "PEM private key")
	flag.Parse()

	model := simulator.VPX()
	if *esx {
		model = simulator.ESX()
	}
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

func fail(err error) {
	fmt.Fprintln(os.Stderr, "vcsim:", err)
	os.Exit(1)
}
